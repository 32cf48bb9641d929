// Pages for a logged-in admin.
import { requireSession } from './guards.js';
import { appPage } from './pages/app-page.js';
import type { App } from './context.js';

export function pageRoutes(app: App): void {
  app.get('/', { preHandler: requireSession }, async (request, reply) => {
    return reply.type('text/html; charset=utf-8').send(appPage(request.session?.csrf_token ?? ''));
  });
}

// Pages for a logged-in admin, and the web client's files they load.
import { requireSession } from './guards.js';
import { appPage } from './pages/app-page.js';
import { assetRoutes, webAssets } from './assets.js';
import type { App } from './context.js';

export function pageRoutes(app: App): void {
  assetRoutes(app);
  app.get('/', { preHandler: requireSession }, async (request, reply) => {
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(appPage(request.session?.csrf_token ?? '', webAssets()));
  });
}

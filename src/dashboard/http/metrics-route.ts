// GET /metrics: Prometheus text format, for a logged-in admin or a scraper with NIXFLEET_METRICS_TOKEN.
import { safeEqual } from '../auth/tokens.js';
import type { App, DashboardContext } from './context.js';

export function metricsRoute(app: App, ctx: DashboardContext): void {
  const { metrics } = ctx.hub.parts;
  const token = ctx.config.metricsToken;
  app.get('/metrics', async (request, reply) => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    const scraper = token !== undefined && bearer !== undefined && safeEqual(bearer, token);
    if (!scraper && !request.session) {
      return reply.code(401).send({ error: 'unauthorized', message: 'log in, or send the metrics token as a bearer token' });
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}

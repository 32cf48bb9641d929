// GET /health: cheap, unauthenticated, and true only when storage answers and the hub loop runs.
import type { App, DashboardContext } from './context.js';

/** How late the hub's timers may run before the hub counts as stuck. */
export const HUB_LAG_LIMIT_MS = 5_000;

export function healthRoutes(app: App, ctx: DashboardContext): void {
  app.get('/health', async (_request, reply) => {
    const storage = ctx.store.health();
    const database = await ctx.store.ping();
    const hubLagMs = Math.max(ctx.hub.keepaliveLagMs(), ctx.hub.parts.fanout.flushDelayMs());
    const problems: string[] = [];
    if (!database) problems.push('database does not answer');
    if (!storage.ok) problems.push(`storage writes failing: ${storage.error}`);
    if (hubLagMs > HUB_LAG_LIMIT_MS) problems.push(`hub loop late by ${hubLagMs} ms`);
    // Which instance answered and what it stores into: behind a load balancer, that is the question.
    const who = { instance: ctx.config.instanceId, storage: ctx.store.kind };
    if (problems.length === 0) return { status: 'ok', ...who };
    return reply.code(503).send({ status: 'unhealthy', problems, ...who });
  });
}

// Rollouts over HTTP: start one, list and read them, pause, resume and cancel. Browsers also receive
// every change as `rollout_update`.
import { Type } from '@sinclair/typebox';
import { CreateRolloutBody, RolloutIdParams } from '../../protocol/rollout.js';
import { actorOf, requireScope } from '../http/guards.js';
import { afterRecorded } from '../store/store.js';
import type { App, DashboardContext } from '../http/context.js';
import type { RolloutResult } from './rollout-book.js';

export const ROLLOUTS_PAGE_DEFAULT = 50;
const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000 })),
  /** A rollout id: the page of rollouts older than it. */
  before: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});

export function rolloutRoutes(app: App, ctx: DashboardContext): void {
  const { rollouts } = ctx.hub.parts;
  /** The answer to a change: the rollout once its change (and the commands it sent) is on disk. */
  const answer = async (result: RolloutResult, reply: { code(status: number): { send(body: unknown): unknown } }, okStatus = 200) => {
    if (!result.ok) {
      const { httpStatus, error, message } = result;
      return reply.code(httpStatus).send({ error, message });
    }
    await new Promise<void>((resolve) => afterRecorded(ctx.store, resolve));
    return reply.code(okStatus).send({ rollout: result.rollout });
  };

  app.post('/api/rollouts', { preHandler: requireScope('operate'), schema: { body: CreateRolloutBody } }, async (request, reply) =>
    answer(rollouts.start(request.body, actorOf(request)), reply, 201),
  );

  app.get('/api/rollouts', { preHandler: requireScope('read'), schema: { querystring: ListQuery } }, async (request, reply) => {
    const { limit, before } = request.query;
    const after = before === undefined ? undefined : await rollouts.find(before);
    if (before !== undefined && !after) return reply.code(404).send({ error: 'unknown_rollout', message: `no rollout "${before}"` });
    return { rollouts: await rollouts.list(limit ?? ROLLOUTS_PAGE_DEFAULT, after) };
  });

  const unknown = (id: string) => ({ error: 'unknown_rollout', message: `no rollout "${id}"` });

  app.get('/api/rollouts/:id', { preHandler: requireScope('read'), schema: { params: RolloutIdParams } }, async (request, reply) => {
    const rollout = await rollouts.find(request.params.id);
    if (!rollout) return reply.code(404).send(unknown(request.params.id));
    return { rollout };
  });

  const change = (action: 'pause' | 'resume' | 'cancel') =>
    app.post(`/api/rollouts/:id/${action}`, { preHandler: requireScope('operate'), schema: { params: RolloutIdParams } }, async (request, reply) => {
      const who = actorOf(request);
      const { id } = request.params;
      if (!(await rollouts.find(id))) return reply.code(404).send(unknown(id));
      const result = action === 'pause' ? rollouts.pause(id, who) : action === 'resume' ? rollouts.resume(id, who) : rollouts.cancelRollout(id, who);
      return answer(result, reply);
    });
  change('pause');
  change('resume');
  change('cancel');
}

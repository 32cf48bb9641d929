// The JSON API: the session, the hosts, commands and their output.
import {
  CommandIdParams,
  DispatchCommandBody,
  EventsQuery,
  HostIdParams,
  OutputQuery,
} from '../../protocol/http.js';
import { actorOf, requireScope, requireSession } from './guards.js';
import { afterRecorded } from '../store/store.js';
import type { App, DashboardContext } from './context.js';

/** Lines one output answer carries unless the client asks for fewer. */
export const OUTPUT_PAGE_LINES_DEFAULT = 10_000;
export const OUTPUT_PAGE_LINES_MAX = 100_000;
export const EVENTS_PAGE_DEFAULT = 100;

export function apiRoutes(app: App, ctx: DashboardContext): void {
  const { hub } = ctx;
  const { fleet, commands, output, events, dispatcher } = hub.parts;
  const unknown = (id: string) => ({ error: 'unknown_command', message: `no command "${id}"` });

  app.get('/api/session', { preHandler: requireSession }, async (request) => {
    const session = request.session;
    if (!session) throw new Error('requireSession let a request without a session through');
    return { csrf_token: session.csrf_token, expires_at: new Date(session.expires_at).toISOString() };
  });

  app.get('/api/hosts', { preHandler: requireScope('read') }, async () => ({ hosts: fleet.snapshot() }));

  app.post(
    '/api/hosts/:id/command',
    { preHandler: requireScope('operate'), schema: { params: HostIdParams, body: DispatchCommandBody } },
    async (request, reply) => {
      const { command, queue } = request.body;
      const result = dispatcher.request(request.params.id, command, { queue: queue === true, actor: actorOf(request) });
      if (!result.ok) return reply.code(result.httpStatus).send({ error: result.error, message: result.message });
      // Accepted means recorded: the command outlives a dashboard killed right after this answer.
      await new Promise<void>((resolve) => afterRecorded(ctx.store, resolve));
      return reply.code(202).send({ status: 'queued', command_id: result.command.id });
    },
  );

  // A script that sent a command asks here how it goes, without reading its output.
  app.get('/api/commands/:id', { preHandler: requireScope('read'), schema: { params: CommandIdParams } }, async (request, reply) => {
    const record = await commands.find(request.params.id);
    if (!record) return reply.code(404).send(unknown(request.params.id));
    return { command: commands.toWire(record) };
  });

  app.delete('/api/commands/:id', { preHandler: requireScope('operate'), schema: { params: CommandIdParams } }, async (request, reply) => {
    const result = dispatcher.cancel(request.params.id, actorOf(request));
    if (!result.ok) return reply.code(result.httpStatus).send({ error: result.error, message: result.message });
    return { command: commands.toWire(result.command) };
  });

  app.get(
    '/api/commands/:id/output',
    {
      preHandler: requireScope('read'),
      schema: { params: CommandIdParams, querystring: OutputQuery },
    },
    async (request, reply) => {
      const record = await commands.find(request.params.id);
      if (!record) return reply.code(404).send(unknown(request.params.id));
      const limit = Math.min(request.query.limit ?? OUTPUT_PAGE_LINES_DEFAULT, OUTPUT_PAGE_LINES_MAX);
      const { lines, more } = await output.replay(record, request.query.from_seq ?? 0, limit);
      return { command: commands.toWire(record), lines, more };
    },
  );

  app.get('/api/events', { preHandler: requireScope('read'), schema: { querystring: EventsQuery } }, async (request) => {
    // Events are written in batches; the newest must be on disk before they are read back.
    await ctx.store.flush();
    return { events: await events.recent(request.query.host ?? null, request.query.limit ?? EVENTS_PAGE_DEFAULT) };
  });
}

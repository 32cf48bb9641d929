// API tokens over HTTP: an admin makes a named token with a scope, lists them, revokes them. The
// secret is in the creation answer only (Cache-Control: no-store, as every /api answer).
import { ApiTokenIdParams, CreateApiTokenBody } from '../../protocol/http.js';
import { toWireApiToken } from '../auth/api-tokens.js';
import { actorOf, requireScope } from './guards.js';
import type { App, DashboardContext } from './context.js';

export function apiTokenRoutes(app: App, ctx: DashboardContext): void {
  const { apiTokens } = ctx;
  const { events } = ctx.hub.parts;

  app.get('/api/tokens', { preHandler: requireScope('admin') }, async () => ({ tokens: apiTokens.list().map(toWireApiToken) }));

  app.post('/api/tokens', { preHandler: requireScope('admin'), schema: { body: CreateApiTokenBody } }, async (request, reply) => {
    const { name, scope } = request.body;
    // The event log tells tokens apart by name: two of one name would be one to a reader.
    if (apiTokens.list().some((token) => token.name === name)) {
      return reply.code(409).send({ error: 'token_exists', message: `an API token named "${name}" exists already` });
    }
    const { record, secret } = apiTokens.issue(name, scope, actorOf(request));
    events.record('info', `${actorOf(request)} created API token "${name}" (${scope})`);
    return reply.code(201).send({ token: toWireApiToken(record), secret });
  });

  app.delete('/api/tokens/:id', { preHandler: requireScope('admin'), schema: { params: ApiTokenIdParams } }, async (request, reply) => {
    const record = apiTokens.revoke(request.params.id);
    if (!record) return reply.code(404).send({ error: 'unknown_token', message: `no API token "${request.params.id}"` });
    events.record('warn', `${actorOf(request)} revoked API token "${record.name}" (${record.scope})`);
    return { token: toWireApiToken(record) };
  });
}

// GET /ws: the one WebSocket endpoint. The kind of peer is decided here, at the upgrade, by its
// credentials: an agent token makes an agent; a session cookie or an API token (any scope: a socket
// only reads) makes a browser. Anything else gets an HTTP error and no socket.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AgentIdentity } from '../auth/agent-tokens.js';
import type { App, DashboardContext } from './context.js';
import { foreignOrigin } from './origin.js';
import { bearerOf, safeEqual } from '../auth/tokens.js';
import { API_TOKEN_PREFIX, apiTokenSocketKey } from '../auth/api-tokens.js';
import { settleDeflateOffer } from './deflate-offer.js';
import { asksForOutputBatches, WsQuery } from '../../protocol/http.js';

/** The header that lets a cluster instance's forwarded upgrade check into /internal/ws-auth. */
export const INTERNAL_HEADER = 'x-nixfleet-internal';

type PeerIdentity = { kind: 'agent'; agent: AgentIdentity } | { kind: 'browser'; credentialKey: string };

export function wsRoute(app: App, ctx: DashboardContext): void {
  const identities = new WeakMap<FastifyRequest, PeerIdentity>();
  // Refusals still only counted are written while the store is open: HTTP closes before it does.
  app.addHook('onClose', async () => ctx.hub.parts.events.flushRepeated());

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (ctx.hub.closing) {
      // Stopping: agents that come straight back are told to wait, not taken in and left open.
      await reply.code(503).header('retry-after', '5').send({ error: 'shutting_down', message: 'the dashboard is stopping' });
      return;
    }
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const token = bearerOf(authorization);
      const apiToken = token ? ctx.apiTokens.authenticate(token) : null;
      if (apiToken) {
        settleDeflateOffer(request.raw.headers, 'browser');
        identities.set(request, { kind: 'browser', credentialKey: apiTokenSocketKey(apiToken.id) });
        return;
      }
      const agent = token ? ctx.hub.parts.tokens.identify(token) : null;
      if (agent) {
        settleDeflateOffer(request.raw.headers, 'agent');
        identities.set(request, { kind: 'agent', agent });
        return;
      }
      // A valid token always gets through, so one misconfigured host cannot lock out the others
      // behind the same address; past the limit, wrong ones get 429.
      if (ctx.agentLimiter.isLimited(request.ip)) {
        const wait = ctx.agentLimiter.retryAfterSeconds(request.ip);
        await reply.code(429).header('retry-after', String(wait)).send({ error: 'rate_limited', message: 'too many failed agent connections' });
        return;
      }
      ctx.agentLimiter.record(request.ip);
      if (token?.startsWith(API_TOKEN_PREFIX)) {
        await reply.code(401).send({ error: 'unauthorized', message: 'unknown or revoked API token' });
        return;
      }
      // An agent with a wrong token retries every few seconds: recorded once, then counted.
      ctx.hub.parts.events.recordRepeated(`agent ${request.ip} token`, 'warn', `agent connection with an unknown token refused from ${request.ip}`);
      await reply.code(401).send({ error: 'unauthorized', message: 'unknown agent token' });
      return;
    }
    if (!request.session) {
      await reply.code(401).send({ error: 'unauthorized', message: 'an agent token or a session cookie is required' });
      return;
    }
    if (foreignOrigin(request.headers, ctx.config.allowedOrigins) !== null) {
      // Cross-site WebSocket hijacking: another site's page opening a socket with the admin's cookie.
      await reply.code(403).send({ error: 'forbidden_origin', message: 'cross-site WebSocket connections are refused' });
      return;
    }
    settleDeflateOffer(request.raw.headers, 'browser');
    identities.set(request, { kind: 'browser', credentialKey: request.session.id_hash });
  }

  // In a cluster, another instance's front asks here whether to take an upgrade it received (and as
  // whom): the same rules, answered by the instance that keeps the fleet (cluster/edge-links.ts).
  const internalSecret = ctx.internalSecret;
  if (internalSecret) {
    app.get('/internal/ws-auth', async (request, reply) => {
      const presented = request.headers[INTERNAL_HEADER];
      // Without the secret it is not there: the same answer as any path that matches no route.
      if (typeof presented !== 'string' || !safeEqual(presented, internalSecret)) return reply.callNotFound();
      await authenticate(request, reply);
      if (reply.sent) return reply;
      return { identity: identities.get(request) };
    });
  }

  app.get('/ws', { websocket: true, preValidation: authenticate, schema: { querystring: WsQuery } }, (socket, request) => {
    if (ctx.hub.closing) {
      socket.terminate(); // It passed authenticate just before the stop began.
      return;
    }
    const identity = identities.get(request);
    // The TCP socket under the WebSocket: the fan-out writes frames it encoded once straight to it.
    const tcp = request.raw.socket;
    if (identity?.kind === 'agent') ctx.hub.attachAgent(socket, tcp, request.ip, identity.agent);
    else if (identity?.kind === 'browser') ctx.hub.attachBrowser(socket, tcp, request.ip, { credentialKey: identity.credentialKey, batchesOutput: asksForOutputBatches(request.query) });
    else socket.terminate();
  });
}

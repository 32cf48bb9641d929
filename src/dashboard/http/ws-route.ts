// GET /ws: the one WebSocket endpoint. The kind of peer is decided here, at the upgrade, by its
// credentials: a bearer token makes an agent, a session cookie a browser. Anything else gets an
// HTTP error and no socket.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AgentIdentity } from '../auth/agent-tokens.js';
import type { App, DashboardContext } from './context.js';

type PeerIdentity = { kind: 'agent'; agent: AgentIdentity } | { kind: 'browser' };

/** Whether a browser's Origin is this dashboard (same host) or one the admin allowed. */
export function originAllowed(request: FastifyRequest, allowedOrigins: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true; // Not a browser: CSWSH needs a browser to carry the cookie.
  if (allowedOrigins.includes(origin.replace(/\/+$/, ''))) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export function wsRoute(app: App, ctx: DashboardContext): void {
  const identities = new WeakMap<FastifyRequest, PeerIdentity>();

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (ctx.hub.closing) {
      // Stopping: agents that come straight back are told to wait, not taken in and left open.
      await reply.code(503).header('retry-after', '5').send({ error: 'shutting_down', message: 'the dashboard is stopping' });
      return;
    }
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
      const agent = token ? ctx.hub.parts.tokens.identify(token) : null;
      if (agent) {
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
      ctx.hub.parts.events.record('warn', `agent connection with an unknown token refused from ${request.ip}`);
      await reply.code(401).send({ error: 'unauthorized', message: 'unknown agent token' });
      return;
    }
    if (!request.session) {
      await reply.code(401).send({ error: 'unauthorized', message: 'an agent token or a session cookie is required' });
      return;
    }
    if (!originAllowed(request, ctx.config.allowedOrigins)) {
      await reply.code(403).send({ error: 'forbidden_origin', message: 'cross-site WebSocket connections are refused' });
      return;
    }
    identities.set(request, { kind: 'browser' });
  }

  app.get('/ws', { websocket: true, preValidation: authenticate }, (socket, request) => {
    if (ctx.hub.closing) {
      socket.terminate(); // It passed authenticate just before the stop began.
      return;
    }
    const identity = identities.get(request);
    const session = request.session;
    // The TCP socket under the WebSocket: the fan-out writes frames it encoded once straight to it.
    const tcp = request.raw.socket;
    if (identity?.kind === 'agent') ctx.hub.attachAgent(socket, tcp, request.ip, identity.agent);
    else if (identity?.kind === 'browser' && session) ctx.hub.attachBrowser(socket, tcp, request.ip, session);
    else socket.terminate();
  });
}

// Who may do what: a live session for pages and the API (its CSRF token for state changes), or an
// API token whose scope covers the route (no CSRF: no cookie is involved).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_FORM_FIELD, CSRF_HEADER } from '../../protocol/constants.js';
import type { ApiScope } from '../../protocol/http.js';
import { safeEqual } from '../auth/tokens.js';
import { scopeAllows } from '../auth/api-tokens.js';

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isApi(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/');
}

/** preHandler: without a session the API answers 401 and pages send the browser to /login. */
export async function requireSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.session) return;
  if (isApi(request)) {
    await reply.code(401).send({ error: 'unauthorized', message: 'log in first' });
  } else {
    await reply.redirect('/login', 303);
  }
}

/**
 * preHandler of an API route: an API token with at least `scope`, or a session (which may do
 * everything) with its CSRF token when the request changes state. A wrong scope gets 403 naming the
 * scope needed.
 */
export function requireScope(scope: ApiScope) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = request.apiToken;
    if (token) {
      if (scopeAllows(token.scope, scope)) return;
      await reply.code(403).send({ error: 'forbidden', message: `this needs the ${scope} scope; the token "${token.name}" has ${token.scope}` });
      return;
    }
    if (request.headers.authorization !== undefined) {
      await reply.code(401).send({ error: 'unauthorized', message: 'unknown or revoked API token' });
      return;
    }
    if (SAFE_METHODS.has(request.method)) return requireSession(request, reply);
    return requireCsrf(request, reply);
  };
}

/** Who did it, for the event log: the token's name, or the admin's address. */
export function actorOf(request: FastifyRequest): string {
  const token = request.apiToken;
  return token ? `token "${token.name}" at ${request.ip}` : `admin at ${request.ip}`;
}

/** preHandler for state-changing routes: the session's CSRF token, in the header or a form field. */
export async function requireCsrf(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const session = request.session;
  if (!session) return requireSession(request, reply);
  const header = request.headers[CSRF_HEADER];
  const body = request.body as Record<string, unknown> | undefined;
  const field = body && typeof body === 'object' ? body[CSRF_FORM_FIELD] : undefined;
  const presented = typeof header === 'string' ? header : typeof field === 'string' ? field : '';
  if (presented && safeEqual(presented, session.csrf_token)) return;
  await reply.code(403).send({ error: 'csrf', message: `missing or wrong ${CSRF_HEADER} header` });
}

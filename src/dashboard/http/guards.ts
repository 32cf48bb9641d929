// Who may do what: a live session for pages and the API, and its CSRF token for state changes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_FORM_FIELD, CSRF_HEADER } from '../../protocol/constants.js';
import { safeEqual } from '../auth/tokens.js';

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

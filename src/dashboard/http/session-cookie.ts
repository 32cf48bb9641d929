// The session cookie: signed, HttpOnly, SameSite=Lax, Secure when the browser came over https.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../../protocol/constants.js';
import type { SessionBook } from '../auth/sessions.js';
import type { SessionRecord } from '../store/store.js';

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, session: SessionRecord): void {
  reply.setCookie(SESSION_COOKIE, token, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: request.protocol === 'https',
    maxAge: Math.max(0, Math.floor((session.expires_at - Date.now()) / 1000)),
  });
}

/**
 * The live session named by the request's signed cookie. A cookie signed with an older secret (still
 * listed in NIXFLEET_SESSION_SECRETS) is accepted and signed again with the current one.
 */
export function sessionOf(request: FastifyRequest, reply: FastifyReply, sessions: SessionBook): SessionRecord | null {
  const raw = request.cookies[SESSION_COOKIE];
  if (!raw) return null;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return null;
  const session = sessions.find(unsigned.value) ?? null;
  if (session && unsigned.renew) setSessionCookie(request, reply, unsigned.value, session);
  return session;
}

// Logging in and out, and the rule that comes with the session cookie handed out here: a state change
// made with it must come from a page of this dashboard (http/origin.ts).
import { LoginBody } from '../../protocol/http.js';
import { SESSION_COOKIE } from '../../protocol/constants.js';
import { verifyPassword } from '../auth/passwords.js';
import { requireCsrf } from './guards.js';
import { refuseForeignOrigin } from './origin.js';
import { setSessionCookie } from './session-cookie.js';
import { loginPage } from './pages/login-page.js';
import type { App, DashboardContext } from './context.js';

export function loginRoutes(app: App, ctx: DashboardContext): void {
  const { credentials, sessions, loginLimiter, totp } = ctx;
  const { events } = ctx.hub.parts;
  const form = (message?: string) => loginPage({ totp: totp !== null, ...(message ? { message } : {}) });

  app.get('/login', async (request, reply) => {
    if (request.session) return reply.redirect('/', 303);
    return reply.type('text/html; charset=utf-8').send(form());
  });

  // Our own form posts from our own origin; another site's page must not log a browser in (login CSRF)
  // nor guess passwords through the admin's browser.
  app.post('/login', { onRequest: refuseForeignOrigin(ctx.config.allowedOrigins), schema: { body: LoginBody } }, async (request, reply) => {
    const address = request.ip;
    reply.type('text/html; charset=utf-8');
    if (loginLimiter.isLimited(address)) {
      const wait = loginLimiter.retryAfterSeconds(address);
      events.record('warn', `login refused for ${address}: too many attempts`);
      return reply.code(429).header('retry-after', String(wait)).send(form(`Too many attempts. Try again in ${wait} s.`));
    }
    const passwordOk = await verifyPassword(credentials.passwordHash, request.body.password);
    const codeOk = passwordOk && (totp === null || totp.check(request.body.totp ?? ''));
    if (!passwordOk || !codeOk) {
      loginLimiter.record(address);
      const why = passwordOk ? 'wrong or reused authenticator code' : 'wrong password';
      events.record('warn', `failed login from ${address}: ${why}`);
      return reply.code(401).send(form(passwordOk ? 'Wrong or already used authenticator code.' : 'Wrong password.'));
    }
    const { token, record } = sessions.create(address);
    events.record('info', `login from ${address}`);
    setSessionCookie(request, reply, token, record);
    return reply.redirect('/', 303);
  });

  app.post('/logout', { preHandler: requireCsrf }, async (request, reply) => {
    const session = request.session;
    if (session) {
      sessions.end(session.id_hash);
      events.record('info', `logout from ${request.ip}`);
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });
}

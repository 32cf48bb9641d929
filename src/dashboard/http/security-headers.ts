// Headers on every response: no framing, no sniffing, no referrers to other sites, and a CSP that
// allows only our own scripts and styles (no inline code, nothing from elsewhere). API answers are
// never stored.
import type { App } from './context.js';
import { isApi } from './guards.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(app: App): void {
  app.addHook('onSend', async (request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: under no-referrer a browser posts our own forms (login, logout)
    // with `Origin: null`, which the origin check (origin.ts) cannot tell from a hostile page's.
    // Other sites still get no Referer.
    reply.header('referrer-policy', 'same-origin');
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    // Every API answer is the admin's private view of the fleet, and some carry secrets (the CSRF
    // token, a new agent or API token): no cache, in the browser or on the way, keeps one. A rule for
    // the whole API rather than a list of routes, so that the next route that hands out a token is
    // covered without remembering to be.
    if (isApi(request)) reply.header('cache-control', 'no-store');
  });
}

// Whether a request made by a browser comes from a page of this dashboard. A browser attaches the
// session cookie to requests that other sites' pages make, so whatever acts with that cookie (a
// WebSocket upgrade, a state-changing request) must first come from our own origin or one the admin
// allowed. Requests from programs (curl, scripts, agents) carry neither Origin nor Sec-Fetch-Site and
// pass: no browser, no cookie riding along.
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './context.js';

/** Methods that change state; the others must not, so they need no origin. */
const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * `Sec-Fetch-Site` values of a request another site's page made ("same-site" is a sibling subdomain,
 * which may be someone else's). `same-origin` (our own page) and `none` (typed, a bookmark) pass.
 */
const FOREIGN_FETCH_SITES: ReadonlySet<string> = new Set(['same-site', 'cross-site']);

/** Why a browser's request is refused, or null when it comes from our own origin or an allowed one. */
export function foreignOrigin(headers: IncomingHttpHeaders, allowedOrigins: readonly string[]): string | null {
  const origin = headers.origin;
  const site = headers['sec-fetch-site'];
  // "null" is a page whose origin is hidden: a sandboxed frame, a file, or a form posted under a
  // no-referrer policy (ours sends same-origin for that reason). The browser's own Sec-Fetch-Site,
  // which no page can set, still tells whether it was ours.
  if (origin !== undefined && !(origin === 'null' && site === 'same-origin')) {
    if (allowedOrigins.includes(origin.replace(/\/+$/, ''))) return null;
    let host: string | null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    // The scheme is not compared: behind a proxy that does not say so, the dashboard cannot tell https.
    return host !== null && host === headers.host ? null : `Origin ${origin} is neither this dashboard nor in NIXFLEET_ALLOWED_ORIGINS`;
  }
  // A browser that left Origin out still says where the request came from here.
  if (typeof site === 'string' && FOREIGN_FETCH_SITES.has(site)) {
    return `Sec-Fetch-Site ${site}: the request came from another site's page`;
  }
  return null;
}

/** onRequest hook: refuses a state change from another site's page with 403 `bad_origin`. */
export function refuseForeignOrigin(allowedOrigins: readonly string[]) {
  return async function originCheck(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!STATE_CHANGING_METHODS.has(request.method)) return;
    const reason = foreignOrigin(request.headers, allowedOrigins);
    if (reason === null) return;
    request.log.warn({ ip: request.ip, method: request.method, url: request.url, reason }, 'cross-site request refused');
    await reply.code(403).send({ error: 'bad_origin', message: `cross-site request refused: ${reason}` });
  };
}

/**
 * Every state-changing request that carries a live session cookie passes the origin check, whatever
 * its route: a route added later is covered without knowing it. Requests without a session (the
 * forge's webhook, scripts with a bearer token) are not a browser acting with the admin's cookie.
 */
export function guardSessionOrigins(app: App, allowedOrigins: readonly string[]): void {
  const check = refuseForeignOrigin(allowedOrigins);
  // Registered after the hook that reads the session cookie, so request.session is known here.
  app.addHook('onRequest', async (request, reply) => {
    if (request.session) await check(request, reply);
  });
}

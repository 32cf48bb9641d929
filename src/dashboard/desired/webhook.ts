// The push webhook of the fleet repository's forge, as pure rules: is the request signed with our
// secret (GitHub, Gitea/Forgejo and GitLab each sign their own way), and what does it say happened.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { safeEqual } from '../auth/tokens.js';

export type Forge = 'github' | 'gitea' | 'gitlab';

export type WebhookVerdict = { ok: true; forge: Forge } | { ok: false; message: string };

/** A SHA-256 HMAC in hex. */
const HMAC_HEX = /^[0-9a-f]{64}$/i;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  // A header sent twice is not something any forge does: it is refused rather than guessed at.
  return typeof value === 'string' ? value.trim() : undefined;
}

function hmacMatches(presentedHex: string, body: Buffer, secret: string): boolean {
  if (!HMAC_HEX.test(presentedHex)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  // Both are 32 bytes here, as timingSafeEqual requires.
  return timingSafeEqual(Buffer.from(presentedHex, 'hex'), expected);
}

/**
 * Whether the request comes from our forge: GitHub's `X-Hub-Signature-256: sha256=<hex HMAC of the raw
 * body>` (Gitea sends it too), Gitea's and Forgejo's `X-Gitea-Signature`/`X-Forgejo-Signature: <hex>`,
 * or GitLab's `X-Gitlab-Token: <secret>`. The first of those headers present decides.
 */
export function verifyWebhook(headers: IncomingHttpHeaders, body: Buffer, secret: string | undefined): WebhookVerdict {
  if (!secret) return { ok: false, message: 'no webhook secret is configured (NIXFLEET_WEBHOOK_SECRET)' };
  const github = header(headers, 'x-hub-signature-256');
  if (github !== undefined) {
    const hex = github.startsWith('sha256=') ? github.slice('sha256='.length) : '';
    return hmacMatches(hex, body, secret) ? { ok: true, forge: 'github' } : { ok: false, message: 'wrong X-Hub-Signature-256' };
  }
  for (const name of ['X-Gitea-Signature', 'X-Forgejo-Signature']) {
    const gitea = header(headers, name.toLowerCase());
    if (gitea === undefined) continue;
    return hmacMatches(gitea, body, secret) ? { ok: true, forge: 'gitea' } : { ok: false, message: `wrong ${name}` };
  }
  const gitlab = header(headers, 'x-gitlab-token');
  if (gitlab !== undefined) {
    return safeEqual(gitlab, secret) ? { ok: true, forge: 'gitlab' } : { ok: false, message: 'wrong X-Gitlab-Token' };
  }
  return { ok: false, message: 'no X-Hub-Signature-256, X-Gitea-Signature, X-Forgejo-Signature or X-Gitlab-Token header' };
}

/** What a verified delivery says. */
export type WebhookEvent =
  | { kind: 'ping' }
  | { kind: 'push'; ref: string }
  /** An event that is no push (issues, tags, ...): nothing to fetch. */
  | { kind: 'other'; event: string }
  | { kind: 'unreadable'; message: string };

/** Events that announce new commits: GitHub's and Gitea's `push`, GitLab's `Push Hook`. */
const PUSH_EVENTS = new Set(['push', 'push hook']);

/** Reads the event of a verified delivery: its name from the headers, the pushed ref from the body. */
export function readWebhookEvent(headers: IncomingHttpHeaders, body: Buffer): WebhookEvent {
  const name = header(headers, 'x-github-event') ?? header(headers, 'x-gitea-event') ?? header(headers, 'x-forgejo-event') ?? header(headers, 'x-gitlab-event');
  const event = name?.toLowerCase();
  if (event === 'ping') return { kind: 'ping' };
  // Without an event header the body decides: a push is whatever names a ref.
  if (event !== undefined && !PUSH_EVENTS.has(event)) return { kind: 'other', event: name ?? '' };
  const payload = payloadOf(headers, body);
  if (payload === null) return { kind: 'unreadable', message: 'the body is not a JSON webhook payload' };
  const ref = (payload as { ref?: unknown }).ref;
  if (typeof ref !== 'string') return { kind: 'unreadable', message: 'the push payload has no ref' };
  return { kind: 'push', ref };
}

/** The JSON payload: the body itself, or GitHub's form-encoded `payload=` field. */
function payloadOf(headers: IncomingHttpHeaders, body: Buffer): object | null {
  const contentType = (header(headers, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  const text = contentType === 'application/x-www-form-urlencoded' ? new URLSearchParams(body.toString('utf8')).get('payload') : body.toString('utf8');
  if (text === null) return null;
  try {
    const payload: unknown = JSON.parse(text);
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload : null;
  } catch {
    return null;
  }
}

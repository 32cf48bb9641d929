// The push webhook's rules: a delivery is believed only when signed with our secret in its forge's
// way, and a believed delivery says a ping, a push of some ref, another event, or nothing readable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { readWebhookEvent, verifyWebhook } from '../../../src/dashboard/desired/webhook.js';

const SECRET = 'webhook-secret-for-tests';
const BODY = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40) }));
const hmacHex = (body: Buffer, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

test('GitHub: X-Hub-Signature-256 with the sha256= HMAC of the raw body', () => {
  assert.deepEqual(verifyWebhook({ 'x-hub-signature-256': `sha256=${hmacHex(BODY)}` }, BODY, SECRET), { ok: true, forge: 'github' });
  assert.deepEqual(verifyWebhook({ 'x-hub-signature-256': `sha256=${hmacHex(BODY).toUpperCase()}` }, BODY, SECRET), { ok: true, forge: 'github' });
});

test('Gitea and Forgejo: X-Gitea-Signature or X-Forgejo-Signature with the bare hex HMAC', () => {
  assert.deepEqual(verifyWebhook({ 'x-gitea-signature': hmacHex(BODY) }, BODY, SECRET), { ok: true, forge: 'gitea' });
  assert.deepEqual(verifyWebhook({ 'x-forgejo-signature': hmacHex(BODY) }, BODY, SECRET), { ok: true, forge: 'gitea' });
});

test('GitLab: X-Gitlab-Token is the secret itself', () => {
  assert.deepEqual(verifyWebhook({ 'x-gitlab-token': SECRET }, BODY, SECRET), { ok: true, forge: 'gitlab' });
});

test('a wrong, tampered, truncated or missing signature is refused', () => {
  const tampered = Buffer.from(BODY.toString().replace('main', 'mainx'));
  const refused: [IncomingHttpHeaders, Buffer][] = [
    [{}, BODY],
    [{ 'x-hub-signature-256': `sha256=${hmacHex(BODY, 'another secret')}` }, BODY],
    [{ 'x-hub-signature-256': `sha256=${hmacHex(BODY)}` }, tampered],
    [{ 'x-hub-signature-256': hmacHex(BODY) }, BODY],
    [{ 'x-hub-signature-256': `sha256=${hmacHex(BODY).slice(0, 63)}` }, BODY],
    [{ 'x-hub-signature-256': 'sha256=' }, BODY],
    [{ 'x-gitea-signature': hmacHex(BODY, 'another secret') }, BODY],
    [{ 'x-gitea-signature': `sha256=${hmacHex(BODY)}` }, BODY],
    [{ 'x-forgejo-signature': hmacHex(BODY) }, tampered],
    [{ 'x-gitlab-token': 'webhook-secret-for-test' }, BODY],
    [{ 'x-gitlab-token': '' }, BODY],
    // The first signature header present decides: a right token cannot rescue a wrong HMAC.
    [{ 'x-hub-signature-256': 'sha256=00', 'x-gitlab-token': SECRET }, BODY],
  ];
  for (const [headers, body] of refused) {
    const verdict = verifyWebhook(headers, body, SECRET);
    assert.equal(verdict.ok, false, JSON.stringify(headers));
    assert.ok(!verdict.ok && verdict.message.length > 0);
  }
});

test('without a configured secret nothing is believed', () => {
  assert.equal(verifyWebhook({ 'x-hub-signature-256': `sha256=${createHmac('sha256', '').update(BODY).digest('hex')}` }, BODY, undefined).ok, false);
  assert.equal(verifyWebhook({ 'x-gitlab-token': '' }, BODY, '').ok, false);
});

test('events: ping, pushes from every forge (JSON or form-encoded), other events, unreadable bodies', () => {
  const form = Buffer.from(`payload=${encodeURIComponent(BODY.toString())}`);
  const cases: [IncomingHttpHeaders, Buffer, ReturnType<typeof readWebhookEvent>][] = [
    [{ 'x-github-event': 'ping' }, Buffer.from('{"zen":"..."}'), { kind: 'ping' }],
    [{ 'x-github-event': 'push', 'content-type': 'application/json' }, BODY, { kind: 'push', ref: 'refs/heads/main' }],
    [{ 'x-github-event': 'push', 'content-type': 'application/x-www-form-urlencoded' }, form, { kind: 'push', ref: 'refs/heads/main' }],
    [{ 'x-gitea-event': 'push' }, BODY, { kind: 'push', ref: 'refs/heads/main' }],
    [{ 'x-forgejo-event': 'push' }, BODY, { kind: 'push', ref: 'refs/heads/main' }],
    [{ 'x-gitlab-event': 'Push Hook' }, BODY, { kind: 'push', ref: 'refs/heads/main' }],
    [{}, BODY, { kind: 'push', ref: 'refs/heads/main' }],
    [{ 'x-github-event': 'issues' }, BODY, { kind: 'other', event: 'issues' }],
    [{ 'x-gitlab-event': 'Tag Push Hook' }, BODY, { kind: 'other', event: 'Tag Push Hook' }],
    [{ 'x-github-event': 'push' }, Buffer.from('{"ref":'), { kind: 'unreadable', message: 'the body is not a JSON webhook payload' }],
    [{ 'x-github-event': 'push', 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from('other=1'), { kind: 'unreadable', message: 'the body is not a JSON webhook payload' }],
    [{ 'x-github-event': 'push' }, Buffer.from('{"after":"x"}'), { kind: 'unreadable', message: 'the push payload has no ref' }],
  ];
  for (const [headers, body, event] of cases) assert.deepEqual(readWebhookEvent(headers, body), event, JSON.stringify(headers));
});

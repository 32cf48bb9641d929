// Client addresses from trusted proxies only, https behind a TLS proxy (Secure cookie, HSTS),
// session secrets that rotate, and the security headers on every response.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { login, postLogin, startTestDashboard, tempDir, TEST_PASSWORD, type TestDashboard } from '../helpers/dashboard.js';
import { upgradeStatus } from '../helpers/sockets.js';

async function withDashboard(env: Record<string, string>, run: (t: TestDashboard) => Promise<void>, dataDir?: string): Promise<void> {
  const t = await startTestDashboard(env, dataDir);
  try {
    await run(t);
  } finally {
    await t.close();
  }
}

test('behind a trusted proxy, X-Forwarded-For is the client: limits and the event log use it', async () => {
  await withDashboard({ NIXFLEET_TRUSTED_PROXIES: '127.0.0.1', NIXFLEET_RATE_LIMIT: '2' }, async (t) => {
    const from = (address: string) => ({ 'x-forwarded-for': address });
    for (let i = 0; i < 2; i++) assert.equal((await postLogin(t.url, { password: 'wrong' }, from('198.51.100.7'))).status, 401);
    assert.equal((await postLogin(t.url, { password: TEST_PASSWORD }, from('198.51.100.7'))).status, 429);
    // Another client behind the same proxy is not punished for it.
    const other = await postLogin(t.url, { password: TEST_PASSWORD }, from('198.51.100.8'));
    assert.equal(other.status, 303);
    const cookie = other.cookie ?? '';
    const { events } = (await (await fetch(`${t.url}/api/events`, { headers: { cookie } })).json()) as { events: { message: string }[] };
    assert.ok(events.some((e) => e.message === 'failed login from 198.51.100.7: wrong password'));
    assert.ok(events.some((e) => e.message === 'login from 198.51.100.8'));
  });
});

test('X-Forwarded-For from an address that is not a trusted proxy is ignored: a spoofer is still limited', async () => {
  await withDashboard({ NIXFLEET_TRUSTED_PROXIES: '10.0.0.1', NIXFLEET_RATE_LIMIT: '2' }, async (t) => {
    for (let i = 0; i < 2; i++) assert.equal((await postLogin(t.url, { password: 'wrong' }, { 'x-forwarded-for': `203.0.113.${i}` })).status, 401);
    assert.equal((await postLogin(t.url, { password: TEST_PASSWORD }, { 'x-forwarded-for': '203.0.113.99' })).status, 429);
  });
});

test('behind a trusted TLS proxy the cookie is Secure and HSTS is sent; over plain http neither', async () => {
  await withDashboard({ NIXFLEET_TRUSTED_PROXIES: '127.0.0.1' }, async (t) => {
    const https = await postLogin(t.url, { password: TEST_PASSWORD }, { 'x-forwarded-proto': 'https' });
    assert.match(https.headers.getSetCookie().join(), /; Secure/);
    assert.match(https.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
    const http = await postLogin(t.url, { password: TEST_PASSWORD });
    assert.doesNotMatch(http.headers.getSetCookie().join(), /Secure/);
    assert.equal(http.headers.get('strict-transport-security'), null);
  });
  // Without a trusted proxy, a forwarded https is not believed.
  await withDashboard({}, async (t) => {
    const spoofed = await postLogin(t.url, { password: TEST_PASSWORD }, { 'x-forwarded-proto': 'https' });
    assert.doesNotMatch(spoofed.headers.getSetCookie().join(), /Secure/);
  });
});

/** Signs a cookie value the way @fastify/cookie does (HMAC-SHA256, base64 without padding). */
function sign(value: string, secret: string): string {
  return `${value}.${createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '')}`;
}

test('session secrets rotate: a cookie signed with an older listed secret works and is re-signed; an unknown secret is refused', async () => {
  let token = '';
  const dataDir = tempDir();
  await withDashboard({ NIXFLEET_SESSION_SECRETS: 'old-secret-aaaaaaaaaaaaaaaaaaaaa' }, async (t) => {
    const session = await login(t.url);
    const value = decodeURIComponent(session.cookie.split('=')[1] ?? '');
    token = value.slice(0, value.lastIndexOf('.'));
    assert.equal(value, sign(token, 'old-secret-aaaaaaaaaaaaaaaaaaaaa'));
  }, dataDir);
  await withDashboard({ NIXFLEET_SESSION_SECRETS: 'new-secret-bbbbbbbbbbbbbbbbbbbbb,old-secret-aaaaaaaaaaaaaaaaaaaaa' }, async (t) => {
    const oldCookie = `nixfleet_session=${encodeURIComponent(sign(token, 'old-secret-aaaaaaaaaaaaaaaaaaaaa'))}`;
    const response = await fetch(`${t.url}/api/session`, { headers: { cookie: oldCookie } });
    assert.equal(response.status, 200);
    const renewed = response.headers.getSetCookie().find((c) => c.startsWith('nixfleet_session=')) ?? '';
    assert.equal(decodeURIComponent(renewed.split(';')[0]?.split('=')[1] ?? ''), sign(token, 'new-secret-bbbbbbbbbbbbbbbbbbbbb'));
    assert.equal(await upgradeStatus(t.wsUrl, { cookie: oldCookie }), 101);
    const forged = `nixfleet_session=${encodeURIComponent(sign(token, 'unknown-secret-ccccccccccccccccc'))}`;
    assert.equal((await fetch(`${t.url}/api/session`, { headers: { cookie: forged } })).status, 401);
    assert.equal(await upgradeStatus(t.wsUrl, { cookie: forged }), 401);
  }, dataDir);
});

test('every response carries a CSP without unsafe-inline, X-Frame-Options DENY, nosniff and a strict referrer policy', async () => {
  await withDashboard({}, async (t) => {
    const session = await login(t.url);
    const requests: [string, RequestInit][] = [
      ['/login', {}],
      ['/', { headers: { cookie: session.cookie } }],
      ['/', {}],
      ['/api/hosts', { headers: { cookie: session.cookie } }],
      ['/api/hosts', {}],
      ['/health', {}],
      ['/no-such-page', {}],
      ['/login', { method: 'POST', body: new URLSearchParams({ password: 'x' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
    ];
    for (const [path, init] of requests) {
      const response = await fetch(`${t.url}${path}`, { ...init, redirect: 'manual' });
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(response.headers.get('referrer-policy'), 'same-origin', path);
    }
  });
});

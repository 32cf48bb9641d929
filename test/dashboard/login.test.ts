// Logging in and out: password hashes from the Go dashboard (bcrypt) and argon2id, TOTP, the
// per-address limit, CSRF on state changes, and logout closing the session's sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { hash as argon2Hash } from '@node-rs/argon2';
import { Secret, TOTP } from 'otpauth';
import { login, postLogin, sendCommand, startTestDashboard, TEST_PASSWORD, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, upgradeStatus } from '../helpers/sockets.js';

async function withDashboard(env: Record<string, string>, run: (t: TestDashboard) => Promise<void>): Promise<void> {
  const t = await startTestDashboard(env);
  try {
    await run(t);
  } finally {
    await t.close();
  }
}

test('the right password gets a 303 to / and an HttpOnly, SameSite=Lax session cookie; a wrong one gets 401 and the form', async () => {
  await withDashboard({}, async (t) => {
    const good = await postLogin(t.url, { password: TEST_PASSWORD });
    assert.equal(good.status, 303);
    assert.equal(good.headers.get('location'), '/');
    const cookie = good.headers.getSetCookie().find((c) => c.startsWith('nixfleet_session=')) ?? '';
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.match(cookie, /Path=\//);
    assert.doesNotMatch(cookie, /Secure/i, 'plain http: no Secure flag');

    const bad = await postLogin(t.url, { password: 'wrong' });
    assert.equal(bad.status, 401);
    assert.equal(bad.cookie, null);
    assert.match(bad.body, /<form[^>]*action="\/login"/);
    assert.match(bad.body, /Wrong password/);
  });
});

test('bcrypt hashes as the Go dashboard made them ($2a$, $2b$, $2y$) log in', async () => {
  const hash = bcrypt.hashSync('go-era password', 10);
  for (const prefix of ['$2a$', '$2b$', '$2y$']) {
    await withDashboard({ NIXFLEET_PASSWORD: '', NIXFLEET_PASSWORD_HASH: prefix + hash.slice(4) }, async (t) => {
      assert.equal((await postLogin(t.url, { password: 'go-era password' })).status, 303, prefix);
      assert.equal((await postLogin(t.url, { password: 'go-era passwore' })).status, 401, prefix);
    });
  }
});

test('an argon2id hash logs in', async () => {
  const hash = await argon2Hash('argon password');
  await withDashboard({ NIXFLEET_PASSWORD: '', NIXFLEET_PASSWORD_HASH: hash }, async (t) => {
    assert.equal((await postLogin(t.url, { password: 'argon password' })).status, 303);
    assert.equal((await postLogin(t.url, { password: 'argon passwore' })).status, 401);
  });
});

test('with TOTP on, the password alone is not enough; a valid code logs in once and cannot be replayed', async () => {
  const secret = new Secret({ size: 20 });
  const totp = new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 });
  await withDashboard({ NIXFLEET_TOTP_SECRET: secret.base32, NIXFLEET_RATE_LIMIT: '50' }, async (t) => {
    const form = await fetch(`${t.url}/login`);
    assert.match(await form.text(), /name="totp"/);
    const noCode = await postLogin(t.url, { password: TEST_PASSWORD });
    assert.equal(noCode.status, 401);
    assert.match(noCode.body, /authenticator code/);
    const wrongCode = await postLogin(t.url, { password: TEST_PASSWORD, totp: '000000' === totp.generate() ? '111111' : '000000' });
    assert.equal(wrongCode.status, 401);
    const code = totp.generate();
    assert.equal((await postLogin(t.url, { password: TEST_PASSWORD, totp: code })).status, 303);
    const replay = await postLogin(t.url, { password: TEST_PASSWORD, totp: code });
    assert.equal(replay.status, 401);
    assert.match(replay.body, /already used/);
    assert.equal((await postLogin(t.url, { password: 'wrong', totp: totp.generate() })).status, 401);
  });
});

test('past NIXFLEET_RATE_LIMIT failures per window an address gets 429, even with the right password and a spoofed X-Forwarded-For', async () => {
  const windowMs = 4000;
  await withDashboard({ NIXFLEET_RATE_LIMIT: '3', NIXFLEET_RATE_WINDOW: `${windowMs}ms` }, async (t) => {
    const firstFailure = Date.now();
    for (let i = 0; i < 3; i++) assert.equal((await postLogin(t.url, { password: `wrong ${i}` })).status, 401);
    const limited = await postLogin(t.url, { password: TEST_PASSWORD });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.match(limited.body, /Too many attempts/);
    const spoofed = await postLogin(t.url, { password: TEST_PASSWORD }, { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(spoofed.status, 429);
    // Once the oldest failures leave the window, the address may try again.
    await new Promise((r) => setTimeout(r, firstFailure + windowMs + 500 - Date.now()));
    assert.equal((await postLogin(t.url, { password: TEST_PASSWORD })).status, 303, 'the window passed');
  });
});

test('without a session the API answers 401 JSON and pages redirect to /login', async () => {
  await withDashboard({}, async (t) => {
    for (const path of ['/api/hosts', '/api/session', '/api/events', '/api/commands/x/output']) {
      const response = await fetch(`${t.url}${path}`);
      assert.equal(response.status, 401, path);
      assert.equal(((await response.json()) as { error: string }).error, 'unauthorized');
    }
    const page = await fetch(`${t.url}/`, { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/login');
  });
});

test('state-changing requests need the session CSRF token: missing, wrong or another session’s token get 403', async () => {
  await withDashboard({}, async (t) => {
    const session = await login(t.url);
    const other = await login(t.url);
    const agent = await connectAgent(t.wsUrl, 'csrf-01');
    const post = (headers: Record<string, string>) =>
      fetch(`${t.url}/api/hosts/csrf-01/command`, {
        method: 'POST',
        headers: { cookie: session.cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ command: 'pull' }),
      });
    assert.equal((await post({})).status, 403);
    assert.equal((await post({ 'x-csrf-token': 'forged' })).status, 403);
    assert.equal((await post({ 'x-csrf-token': other.csrf })).status, 403);
    assert.equal(agent.ofType('command').length, 0, 'nothing was dispatched');
    assert.equal((await post({ 'x-csrf-token': session.csrf })).status, 202);
    const logout = await fetch(`${t.url}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: session.cookie } });
    assert.equal(logout.status, 403);
    await agent.close();
  });
});

test('GET /api/session gives the CSRF token and expiry; the page carries the token too', async () => {
  await withDashboard({ NIXFLEET_SESSION_DURATION: '2h' }, async (t) => {
    const session = await login(t.url);
    const response = await fetch(`${t.url}/api/session`, { headers: { cookie: session.cookie } });
    const body = (await response.json()) as { csrf_token: string; expires_at: string };
    assert.equal(body.csrf_token, session.csrf);
    const hours = (Date.parse(body.expires_at) - Date.now()) / 3_600_000;
    assert.ok(hours > 1.9 && hours <= 2, `expires in ${hours} h`);
    const page = await (await fetch(`${t.url}/`, { headers: { cookie: session.cookie } })).text();
    assert.ok(page.includes(`<meta name="csrf-token" content="${session.csrf}">`));
  });
});

test('logout (with CSRF as a form field) ends the session and closes its open sockets with 4003; other sessions stay', async () => {
  await withDashboard({}, async (t) => {
    const session = await login(t.url);
    const other = await login(t.url);
    const browsers = [await connectBrowser(t.wsUrl, session), await connectBrowser(t.wsUrl, session)];
    const bystander = await connectBrowser(t.wsUrl, other);
    const response = await fetch(`${t.url}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf_token: session.csrf }).toString(),
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/login');
    for (const browser of browsers) assert.equal((await browser.closed).code, 4003);
    assert.equal(await upgradeStatus(t.wsUrl, { cookie: session.cookie }), 401);
    assert.equal((await fetch(`${t.url}/api/hosts`, { headers: { cookie: session.cookie } })).status, 401);
    assert.equal(bystander.ws.readyState, bystander.ws.OPEN);
    await bystander.close();
  });
});

test('a session that expires closes its open sockets', async () => {
  // Long enough for the login and the socket's upgrade on a busy machine (half a second was not).
  await withDashboard({ NIXFLEET_SESSION_DURATION: '3s' }, async (t) => {
    const session = await login(t.url);
    const browser = await connectBrowser(t.wsUrl, session);
    const closed = await browser.closed;
    assert.equal(closed.code, 4003);
    assert.equal((await fetch(`${t.url}/api/hosts`, { headers: { cookie: session.cookie } })).status, 401);
  });
});

test('logins, failed logins and dispatched commands are in the event log with the client address', async () => {
  await withDashboard({}, async (t) => {
    await postLogin(t.url, { password: 'nope' });
    const session = await login(t.url);
    const agent = await connectAgent(t.wsUrl, 'audit-01');
    await sendCommand(t.url, session, 'audit-01', 'pull');
    const response = await fetch(`${t.url}/api/events?limit=50`, { headers: { cookie: session.cookie } });
    const { events } = (await response.json()) as { events: { message: string; host_id?: string }[] };
    const messages = events.map((e) => e.message);
    assert.ok(messages.some((m) => /failed login from 127\.0\.0\.1: wrong password/.test(m)), messages.join('\n'));
    assert.ok(messages.some((m) => /^login from 127\.0\.0\.1/.test(m)));
    assert.ok(events.some((e) => e.host_id === 'audit-01' && /127\.0\.0\.1 sent pull to audit-01/.test(e.message)));
    const forHost = (await (await fetch(`${t.url}/api/events?host=audit-01`, { headers: { cookie: session.cookie } })).json()) as {
      events: { host_id?: string }[];
    };
    assert.ok(forHost.events.length > 0 && forHost.events.every((e) => e.host_id === 'audit-01'));
    await agent.close();
  });
});

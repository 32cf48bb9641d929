// State changes made with the session cookie come from the dashboard's own pages: another site's
// Origin (or, without Origin, Sec-Fetch-Site cross-site/same-site) gets 403 bad_origin, with the same
// rule as the WebSocket upgrade. Programs (no Origin, no Sec-Fetch-Site) and the forge's webhook pass.
// API answers, which carry the CSRF token and new agent tokens, are never stored by a cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { login, postLogin, startTestDashboard, TEST_PASSWORD, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { upgradeStatus } from '../helpers/sockets.js';

const ALLOWED_ORIGIN = 'https://fleet.example.org';
const WEBHOOK_SECRET = 'webhook-secret-for-the-origin-test';

let t: TestDashboard;
let session: Session;
let hostCount = 0;

before(async () => {
  t = await startTestDashboard({ NIXFLEET_ALLOWED_ORIGINS: ALLOWED_ORIGIN, NIXFLEET_WEBHOOK_SECRET: WEBHOOK_SECRET });
  session = await login(t.url);
});
after(() => t.close());

/** A state change with the session's cookie and CSRF token, plus the browser headers given. */
function withSession(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Response> {
  return fetch(`${t.url}${path}`, {
    method,
    redirect: 'manual',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function createHost(headers: Record<string, string>): Promise<Response> {
  hostCount += 1;
  return withSession('POST', '/api/hosts', headers, { hostname: `origin-${hostCount}` });
}

async function assertBadOrigin(response: Response, what: string): Promise<void> {
  assert.equal(response.status, 403, what);
  const body = (await response.json()) as { error: string; message: string };
  assert.equal(body.error, 'bad_origin', what);
  assert.match(body.message, /cross-site request refused/, what);
}

test('a state change with the session from our own origin, an allowed origin, or a program (no headers) goes through', async () => {
  const passing: [string, Record<string, string>][] = [
    ['no Origin, no Sec-Fetch-Site (curl, a script)', {}],
    ['our own Origin', { origin: t.url }],
    ['our own Origin with a trailing slash', { origin: `${t.url}/` }],
    ['an Origin in NIXFLEET_ALLOWED_ORIGINS', { origin: ALLOWED_ORIGIN }],
    ['no Origin, Sec-Fetch-Site same-origin', { 'sec-fetch-site': 'same-origin' }],
    ['no Origin, Sec-Fetch-Site none (typed by the user)', { 'sec-fetch-site': 'none' }],
    ['Origin null that the browser says is same-origin (a form under a no-referrer policy)', { origin: 'null', 'sec-fetch-site': 'same-origin' }],
  ];
  for (const [what, headers] of passing) assert.equal((await createHost(headers)).status, 201, what);
});

test('a state change with the session from another site gets 403 bad_origin and changes nothing', async () => {
  const refused: [string, Record<string, string>][] = [
    ['a foreign Origin', { origin: 'https://evil.example.com' }],
    ['Origin null (a sandboxed frame, a hostile no-referrer page)', { origin: 'null' }],
    ['Origin null from another site', { origin: 'null', 'sec-fetch-site': 'cross-site' }],
    ['our host on another port', { origin: t.url.replace(/:\d+$/, ':1') }],
    ['a foreign Origin that says same-origin in Sec-Fetch-Site', { origin: 'https://evil.example.com', 'sec-fetch-site': 'same-origin' }],
    ['no Origin, Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['no Origin, Sec-Fetch-Site same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
  ];
  const before = (await t.dashboard.context.hub.parts.fleet.snapshot()).length;
  for (const [what, headers] of refused) await assertBadOrigin(await createHost(headers), what);
  assert.equal((await t.dashboard.context.hub.parts.fleet.snapshot()).length, before, 'no host was created');

  assert.equal((await createHost({})).status, 201);
  const hostId = `origin-${hostCount}`;
  const evil = { origin: 'https://evil.example.com' };
  await assertBadOrigin(await withSession('PUT', `/api/hosts/${hostId}/tags`, evil, { tags: ['x'] }), 'PUT tags');
  await assertBadOrigin(await withSession('POST', `/api/hosts/${hostId}/token`, evil), 'POST token');
  await assertBadOrigin(await withSession('DELETE', `/api/hosts/${hostId}`, evil), 'DELETE host');
  await assertBadOrigin(await withSession('POST', '/logout', evil), 'POST logout');
  assert.ok(t.dashboard.context.hub.parts.fleet.get(hostId), 'the host is still there');
  assert.equal((await fetch(`${t.url}/api/session`, { headers: { cookie: session.cookie } })).status, 200, 'the session is still alive');
});

test('pages set Referrer-Policy same-origin, so that browsers post our own forms with our Origin rather than null', async () => {
  for (const path of ['/login', '/', '/api/hosts']) {
    const response = await fetch(`${t.url}${path}`, { headers: { cookie: session.cookie } });
    assert.equal(response.headers.get('referrer-policy'), 'same-origin', path);
  }
});

test('reading with the session from another site is not refused: only state changes are', async () => {
  const response = await fetch(`${t.url}/api/hosts`, { headers: { cookie: session.cookie, origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' } });
  assert.equal(response.status, 200);
});

test('the WebSocket upgrade and state-changing requests judge an Origin alike', async () => {
  for (const origin of ['https://evil.example.com', 'null', t.url, ALLOWED_ORIGIN]) {
    const upgrade = await upgradeStatus(t.wsUrl, { cookie: session.cookie, origin });
    const post = await createHost({ origin });
    assert.equal(upgrade === 403, post.status === 403, `${origin}: upgrade ${upgrade}, POST ${post.status}`);
  }
});

test('the login form: from our own page it logs in; posted from another site it is refused', async () => {
  const fromOurPage = await postLogin(t.url, { password: TEST_PASSWORD }, { origin: t.url, 'sec-fetch-site': 'same-origin' });
  assert.equal(fromOurPage.status, 303);
  assert.ok(fromOurPage.cookie);
  const fromScript = await postLogin(t.url, { password: TEST_PASSWORD });
  assert.equal(fromScript.status, 303);

  const fromElsewhere = await postLogin(t.url, { password: TEST_PASSWORD }, { origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' });
  assert.equal(fromElsewhere.status, 403);
  assert.equal(fromElsewhere.cookie, null, 'no session for a login posted from another site');
  assert.equal((JSON.parse(fromElsewhere.body) as { error: string }).error, 'bad_origin');
});

test('the forge webhook carries no session and is judged by its signature, whatever its Origin', async () => {
  const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
  const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
  const response = await fetch(`${t.url}/api/hooks/git`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-hub-signature-256': signature, origin: 'https://github.com', 'sec-fetch-site': 'cross-site' },
    body,
  });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: 'pong' });
});

test('API answers are Cache-Control: no-store, above all those with a CSRF token or an agent token', async () => {
  const sessionAnswer = await fetch(`${t.url}/api/session`, { headers: { cookie: session.cookie } });
  assert.equal(sessionAnswer.status, 200);
  assert.equal(sessionAnswer.headers.get('cache-control'), 'no-store', 'GET /api/session (the CSRF token)');

  const created = await createHost({});
  assert.equal(created.status, 201);
  assert.ok(((await created.json()) as { token?: string }).token);
  assert.equal(created.headers.get('cache-control'), 'no-store', 'POST /api/hosts (a new agent token)');

  const rotated = await withSession('POST', `/api/hosts/origin-${hostCount}/token`, {});
  assert.equal(rotated.status, 200);
  assert.equal(rotated.headers.get('cache-control'), 'no-store', 'POST /api/hosts/:id/token (a new agent token)');

  for (const path of ['/api/hosts', '/api/events']) {
    const answer = await fetch(`${t.url}${path}`, { headers: { cookie: session.cookie } });
    assert.equal(answer.headers.get('cache-control'), 'no-store', path);
  }
  assert.equal((await fetch(`${t.url}/api/session`)).headers.get('cache-control'), 'no-store', 'a 401 too');
  // Pages and files keep their own rules.
  assert.notEqual((await fetch(`${t.url}/health`)).headers.get('cache-control'), 'no-store');
});

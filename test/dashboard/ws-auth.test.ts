// Scenarios 1–3: who may open /ws, decided at the upgrade by credentials.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, startTestDashboard, TEST_AGENT_TOKEN, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, registerPayload, TestSocket, upgradeStatus } from '../helpers/sockets.js';

let t: TestDashboard;
let session: Session;

before(async () => {
  t = await startTestDashboard({ NIXFLEET_ALLOWED_ORIGINS: 'https://fleet.example.org' });
  session = await login(t.url);
});
after(() => t.close());

test('an agent with the token registers and gets registered with its host id', async () => {
  const agent = await TestSocket.connect(t.wsUrl, { authorization: `Bearer ${TEST_AGENT_TOKEN}` });
  agent.send('register', registerPayload('web-01', { protocol_version: 1, running: null }));
  const registered = await agent.next('registered');
  assert.deepEqual(registered.payload, { host_id: 'web-01' });
  const hosts = t.dashboard.context.hub.parts.fleet.snapshot();
  assert.equal(hosts.find((h) => h.id === 'web-01')?.connected, true);
  await agent.close();
});

test('a logged-in browser gets init with all hosts, then every host_update', async () => {
  const agent = await connectAgent(t.wsUrl, 'web-02');
  const browser = await connectBrowser(t.wsUrl, session);
  const init = browser.ofType('init')[0];
  assert.ok(init);
  const hosts = init.payload.hosts as { id: string }[];
  assert.ok(hosts.some((h) => h.id === 'web-02'));
  assert.equal(typeof init.payload.version, 'number');
  assert.ok(Array.isArray(init.payload.commands));
  agent.send('heartbeat', { generation: 'fff0001' });
  const update = await browser.next((m) => m.type === 'host_update' && (m.payload.host as { id: string }).id === 'web-02');
  assert.equal((update.payload.host as { generation: string }).generation, 'fff0001');
  assert.equal(update.version, (init.payload.version as number) + 1);
  await Promise.all([agent.close(), browser.close()]);
});

test('no credentials: 401 before any upgrade', async () => {
  assert.equal(await upgradeStatus(t.wsUrl, {}), 401);
});

test('a wrong or malformed agent token: 401', async () => {
  assert.equal(await upgradeStatus(t.wsUrl, { authorization: 'Bearer not-the-token' }), 401);
  assert.equal(await upgradeStatus(t.wsUrl, { authorization: `Basic ${TEST_AGENT_TOKEN}` }), 401);
  assert.equal(await upgradeStatus(t.wsUrl, { authorization: 'Bearer' }), 401);
});

test('a forged or unsigned session cookie: 401', async () => {
  const value = session.cookie.split('=')[1] ?? '';
  const [token] = value.split('.');
  assert.equal(await upgradeStatus(t.wsUrl, { cookie: `nixfleet_session=${token}` }), 401);
  assert.equal(await upgradeStatus(t.wsUrl, { cookie: `nixfleet_session=${token}.AAAAsignatureAAAA` }), 401);
  assert.equal(await upgradeStatus(t.wsUrl, { cookie: 'nixfleet_session=garbage' }), 401);
});

test('a browser upgrade from a foreign Origin: 403; our own origin and allowed ones: accepted', async () => {
  assert.equal(await upgradeStatus(t.wsUrl, { cookie: session.cookie, origin: 'https://evil.example.com' }), 403);
  assert.equal(await upgradeStatus(t.wsUrl, { cookie: session.cookie, origin: 'null' }), 403);
  assert.equal(await upgradeStatus(t.wsUrl, { cookie: session.cookie, origin: t.url }), 101);
  assert.equal(await upgradeStatus(t.wsUrl, { cookie: session.cookie, origin: 'https://fleet.example.org' }), 101);
});

test('a browser asking for output batches with any value but "batched": 400 after its credentials are checked, no socket', async () => {
  assert.equal(await upgradeStatus(`${t.wsUrl}?output=batched`, { cookie: session.cookie }), 101);
  assert.equal(await upgradeStatus(`${t.wsUrl}?output=bogus`, { cookie: session.cookie }), 400);
  assert.equal(await upgradeStatus(`${t.wsUrl}?output=batched&output=batched`, { cookie: session.cookie }), 400);
  assert.equal(await upgradeStatus(`${t.wsUrl}?output=bogus`, {}), 401);
  // An agent's socket ignores the question, and is held to the same check.
  assert.equal(await upgradeStatus(`${t.wsUrl}?output=batched`, { authorization: `Bearer ${TEST_AGENT_TOKEN}` }), 101);
  assert.equal(await upgradeStatus(`${t.wsUrl}?output=bogus`, { authorization: `Bearer ${TEST_AGENT_TOKEN}` }), 400);
  // Other parameters are no business of the socket's and are let through.
  assert.equal(await upgradeStatus(`${t.wsUrl}?tab=2`, { cookie: session.cookie }), 101);
});

test('an expired session: 401 at the upgrade', async () => {
  const short = await startTestDashboard({ NIXFLEET_SESSION_DURATION: '300ms' });
  try {
    const s = await login(short.url);
    assert.equal(await upgradeStatus(short.wsUrl, { cookie: s.cookie }), 101);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await upgradeStatus(short.wsUrl, { cookie: s.cookie }), 401);
  } finally {
    await short.close();
  }
});

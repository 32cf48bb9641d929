// Scenario 7: a dropped agent leaves the hub at once, shows connected:false, and is offline only after
// the grace period; a quick reconnect does not flap; silent heartbeats also lead to offline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, startTestDashboard, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, type Message, type TestSocket } from '../helpers/sockets.js';

const GRACE_MS = 400;
let t: TestDashboard;
let session: Session;

before(async () => {
  t = await startTestDashboard({ NIXFLEET_OFFLINE_TIMEOUT: `${GRACE_MS}ms` });
  session = await login(t.url);
});
after(() => t.close());

const hostUpdates = (browser: TestSocket, id: string) =>
  browser.messages.filter((m) => m.type === 'host_update' && (m.payload.host as { id: string }).id === id).map((m) => m.payload.host as Record<string, unknown>);
const isHost = (id: string, check: (h: Record<string, unknown>) => boolean) => (m: Message) =>
  m.type === 'host_update' && (m.payload.host as { id: string }).id === id && check(m.payload.host as Record<string, unknown>);

test('a closed agent leaves the hub at once, shows connected:false, then offline after the grace period', async () => {
  const agent = await connectAgent(t.wsUrl, 'drop-01');
  const browser = await connectBrowser(t.wsUrl, session);
  // The dashboard's grace period cannot start before the close does; the close may finish (here)
  // well after the dashboard saw it on a loaded machine.
  const closedAt = performance.now();
  await agent.close();
  const gone = await browser.next(isHost('drop-01', (h) => h.connected === false));
  assert.equal(gone.payload.host && (gone.payload.host as { status: string }).status, 'online');
  assert.equal(t.dashboard.context.hub.agentFor('drop-01'), undefined);
  await browser.next(isHost('drop-01', (h) => h.status === 'offline'));
  const waited = performance.now() - closedAt;
  assert.ok(waited >= GRACE_MS - 20, `offline after ${waited.toFixed(0)} ms, before the grace period`);
  const event = await browser.next((m) => m.type === 'event' && /drop-01 is offline/.test(String(m.payload.message)));
  assert.equal(event.payload.level, 'warn');
  await browser.close();
});

test('a network failure (socket destroyed without a close frame) is handled like a close', async () => {
  const agent = await connectAgent(t.wsUrl, 'drop-02');
  const browser = await connectBrowser(t.wsUrl, session);
  // Cut the TCP connection under the WebSocket: no close frame reaches the dashboard.
  agent.tcp.destroy();
  await browser.next(isHost('drop-02', (h) => h.connected === false));
  await browser.next(isHost('drop-02', (h) => h.status === 'offline'));
  await browser.close();
});

test('an agent that reconnects within the grace period never shows offline (no flap across a restart)', async () => {
  const first = await connectAgent(t.wsUrl, 'flap-01');
  const browser = await connectBrowser(t.wsUrl, session);
  await first.close();
  await browser.next(isHost('flap-01', (h) => h.connected === false));
  await new Promise((r) => setTimeout(r, GRACE_MS / 2));
  const second = await connectAgent(t.wsUrl, 'flap-01');
  await browser.next(isHost('flap-01', (h) => h.connected === true));
  await new Promise((r) => setTimeout(r, GRACE_MS * 1.5));
  assert.ok(hostUpdates(browser, 'flap-01').every((h) => h.status === 'online'));
  assert.equal(t.dashboard.context.hub.parts.fleet.get('flap-01')?.record.status, 'online');
  await Promise.all([second.close(), browser.close()]);
});

test('a connected host whose heartbeats stop goes offline after max(3 × interval, grace), and back online with the next one', async () => {
  // heartbeat_interval 0.2 s → 3 × interval = 600 ms, more than the 400 ms grace.
  const browser = await connectBrowser(t.wsUrl, session);
  const agent = await connectAgent(t.wsUrl, 'silent-01', { protocol_version: 1, running: null, heartbeat_interval: 0.2 });
  const since = performance.now();
  await browser.next(isHost('silent-01', (h) => h.status === 'offline'), 3000);
  const waited = performance.now() - since;
  assert.ok(waited >= 550, `offline after ${waited.toFixed(0)} ms`);
  assert.equal(t.dashboard.context.hub.agentFor('silent-01') !== undefined, true, 'the socket itself stays open');
  agent.send('heartbeat', { generation: 'abc' });
  await browser.next(isHost('silent-01', (h) => h.status === 'online'));
  await Promise.all([agent.close(), browser.close()]);
});

test('a second connection registering the same host replaces the first with 4001, and the host stays online', async () => {
  const first = await connectAgent(t.wsUrl, 'dup-01');
  const browser = await connectBrowser(t.wsUrl, session);
  const second = await connectAgent(t.wsUrl, 'dup-01');
  const closed = await first.closed;
  assert.equal(closed.code, 4001);
  await new Promise((r) => setTimeout(r, GRACE_MS * 1.5));
  assert.ok(hostUpdates(browser, 'dup-01').every((h) => h.connected === true && h.status === 'online'));
  assert.equal(t.dashboard.context.hub.parts.fleet.get('dup-01')?.connected, true);
  // Commands go to the new connection.
  second.send('heartbeat', { generation: 'second' });
  await browser.next(isHost('dup-01', (h) => h.generation === 'second'));
  await Promise.all([second.close(), browser.close()]);
});

test('hosts that were online when the dashboard stopped get the grace period after it starts again', async () => {
  const env = { NIXFLEET_OFFLINE_TIMEOUT: `${GRACE_MS}ms` };
  const before = await startTestDashboard(env);
  const agent = await connectAgent(before.wsUrl, 'restart-grace');
  await before.close();
  await agent.closed;
  const again = await startTestDashboard(env, before.dataDir);
  try {
    const entry = again.dashboard.context.hub.parts.fleet.get('restart-grace');
    assert.equal(entry?.record.status, 'online');
    assert.equal(entry?.connected, false);
    await new Promise((r) => setTimeout(r, GRACE_MS + 200));
    assert.equal(again.dashboard.context.hub.parts.fleet.get('restart-grace')?.record.status, 'offline');
  } finally {
    await again.close();
  }
});


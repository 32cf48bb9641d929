// Scenario 9: every peer is pinged each interval; one that stops answering is terminated within two
// intervals, one that answers (pong or any frame) stays connected indefinitely. The pings of an
// interval go out in turns spread over it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, startTestDashboard, TEST_AGENT_TOKEN, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, eventually, TestSocket } from '../helpers/sockets.js';
import { KEEPALIVE_TURNS } from '../../src/dashboard/hub/keepalive.js';

const PING_MS = 150;
/** Timers on a busy machine fire late; this is the slack allowed on top of the contract's bound. */
const TIMER_SLACK_MS = 250;
let t: TestDashboard;
let session: Session;

before(async () => {
  t = await startTestDashboard({ NIXFLEET_PING_INTERVAL: `${PING_MS}ms` });
  session = await login(t.url);
});
after(() => t.close());

test('the dashboard pings; a client that answers pongs stays connected for many intervals', async () => {
  const agent = await connectAgent(t.wsUrl, 'ponger');
  let pings = 0;
  agent.ws.on('ping', () => pings++);
  const browser = await connectBrowser(t.wsUrl, session);
  await new Promise((r) => setTimeout(r, PING_MS * 10));
  assert.ok(pings >= 5, `only ${pings} pings in 10 intervals`);
  assert.equal(agent.ws.readyState, agent.ws.OPEN);
  assert.equal(browser.ws.readyState, browser.ws.OPEN);
  await Promise.all([agent.close(), browser.close()]);
});

test('an agent that never answers pings is terminated within two intervals and leaves the hub', async () => {
  const silent = await TestSocket.connect(t.wsUrl, { authorization: `Bearer ${TEST_AGENT_TOKEN}` }, { autoPong: false });
  silent.send('register', { hostname: 'mute-agent', protocol_version: 1, running: null });
  await silent.next('registered');
  const lastSignOfLife = performance.now();
  const closed = await silent.closed;
  const after = performance.now() - lastSignOfLife;
  assert.equal(closed.code, 1006, 'terminated, not closed politely');
  assert.ok(after <= 2 * PING_MS + TIMER_SLACK_MS, `terminated after ${after.toFixed(0)} ms`);
  // The dashboard's own close event follows its terminate() by a turn of the loop.
  await eventually(() => (t.dashboard.context.hub.agentFor('mute-agent') === undefined ? true : undefined), 1000, 'agent gone');
  assert.equal(t.dashboard.context.hub.parts.fleet.get('mute-agent')?.connected, false);
});

test('a browser that never answers pings is terminated too', async () => {
  const silent = await TestSocket.connect(t.wsUrl, { cookie: session.cookie }, { autoPong: false });
  await silent.next('init');
  const since = performance.now();
  const closed = await silent.closed;
  assert.equal(closed.code, 1006);
  assert.ok(performance.now() - since <= 2 * PING_MS + TIMER_SLACK_MS);
});

test('any frame counts as an answer: a peer that keeps talking but never pongs stays connected', async () => {
  const chatty = await TestSocket.connect(t.wsUrl, { authorization: `Bearer ${TEST_AGENT_TOKEN}` }, { autoPong: false });
  chatty.send('register', { hostname: 'chatty-agent', protocol_version: 1, running: null });
  await chatty.next('registered');
  const timer = setInterval(() => chatty.send('heartbeat', {}), PING_MS / 3);
  await new Promise((r) => setTimeout(r, PING_MS * 6));
  clearInterval(timer);
  assert.equal(chatty.ws.readyState, chatty.ws.OPEN);
  await chatty.close();
});

test('the pings of one interval are spread over it in turns, not sent to every socket at once', async () => {
  const intervalMs = 1_500;
  const own = await startTestDashboard({ NIXFLEET_PING_INTERVAL: `${intervalMs}ms` });
  try {
    const ownSession = await login(own.url);
    // As many sockets as the interval has turns: each is pinged on a turn of its own.
    const sockets = await Promise.all(Array.from({ length: KEEPALIVE_TURNS }, () => connectBrowser(own.wsUrl, ownSession)));
    const firstPingAt = await Promise.all(sockets.map((socket) => new Promise<number>((resolve) => socket.ws.once('ping', () => resolve(performance.now())))));
    const spreadMs = Math.max(...firstPingAt) - Math.min(...firstPingAt);
    // All at once, the pings would come within a few milliseconds of each other.
    assert.ok(spreadMs >= intervalMs / 2, `the first pings came within ${spreadMs.toFixed(0)} ms of each other`);
    // Each socket is still pinged once per interval: over the next two, twice or three times.
    const pings = sockets.map(() => 0);
    sockets.forEach((socket, i) => socket.ws.on('ping', () => (pings[i] = (pings[i] ?? 0) + 1)));
    await new Promise((r) => setTimeout(r, 2 * intervalMs));
    assert.ok(pings.every((n) => n >= 1 && n <= 3), `pings per socket over two intervals: ${pings.join(', ')}`);
    await Promise.all(sockets.map((socket) => socket.close()));
  } finally {
    await own.close();
  }
});

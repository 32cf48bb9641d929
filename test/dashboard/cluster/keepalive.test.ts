// The keepalive of a follower instance (its edge): every socket it holds is pinged each interval, and
// one that stops answering is terminated within two intervals, as on a single dashboard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from '../../helpers/cluster.js';
import { login, TEST_AGENT_TOKEN } from '../../helpers/dashboard.js';
import { connectAgent, connectBrowser, TestSocket } from '../../helpers/sockets.js';

const PING_MS = 300;
/** Timers on a busy machine fire late; this is the slack allowed on top of the contract's bound. */
const TIMER_SLACK_MS = 500;
const WAIT_MS = 15_000;

test('a follower pings the sockets it holds and cuts the ones that stop answering', async (t) => {
  const cluster = await TestCluster.create(t, { NIXFLEET_PING_INTERVAL: `${PING_MS}ms` });
  if (!cluster) return;
  const [, follower] = await cluster.startPair();
  const session = await login(follower.url);

  const agent = await connectAgent(follower.wsUrl, 'kept-1');
  const browser = await connectBrowser(follower.wsUrl, session);
  let pings = 0;
  agent.ws.on('ping', () => pings++);

  const silent = await TestSocket.connect(follower.wsUrl, { authorization: `Bearer ${TEST_AGENT_TOKEN}` }, { autoPong: false });
  silent.send('register', { hostname: 'mute-1', protocol_version: 1, running: null });
  await silent.next('registered', WAIT_MS);
  const lastSignOfLife = performance.now();
  const closed = await Promise.race([silent.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), WAIT_MS))]);
  const after = performance.now() - lastSignOfLife;
  assert.ok(closed, `the silent socket was still open after ${WAIT_MS} ms`);
  assert.equal(closed.code, 1006, 'terminated, not closed politely');
  assert.ok(after <= 2 * PING_MS + TIMER_SLACK_MS, `terminated after ${after.toFixed(0)} ms`);

  // The sockets that answer stay, pinged every interval.
  await new Promise((r) => setTimeout(r, PING_MS * 5));
  assert.ok(pings >= 3, `only ${pings} pings in 5 intervals`);
  assert.equal(agent.ws.readyState, agent.ws.OPEN);
  assert.equal(browser.ws.readyState, browser.ws.OPEN);
  await Promise.all([agent.close(), browser.close()]);
});

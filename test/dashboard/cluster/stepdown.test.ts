// The leader is stopped (SIGTERM, as an upgrade does): it says so, a follower takes the fleet over at
// once, and the follower's browsers stay connected and are given the fleet again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from '../../helpers/cluster.js';
import { login } from '../../helpers/dashboard.js';
import { connectAgent, connectBrowser } from '../../helpers/sockets.js';

const WAIT_MS = 30_000;

test('SIGTERM to the leader: a follower leads, its browsers stay and get init, its agents are told to reconnect', async (t) => {
  const cluster = await TestCluster.create(t, { NIXFLEET_OFFLINE_TIMEOUT: '60s' });
  if (!cluster) return;
  const [a, b] = await cluster.startPair();
  const session = await login(b.url);
  const browser = await connectBrowser(b.wsUrl, session);
  t.after(() => browser.close());
  const agent = await connectAgent(b.wsUrl, 'web-1');
  t.after(() => agent.close());
  await browser.next((m) => m.type === 'host_update' && (m.payload.host as { id: string }).id === 'web-1', WAIT_MS);
  const initsBefore = browser.ofType('init').length;

  const stopped = a.kill('SIGTERM');
  await cluster.waitForRole(b, 'leader', WAIT_MS);
  assert.equal((await stopped).code, 0, 'the old leader stopped cleanly');
  await browser.until(() => (browser.ofType('init').length > initsBefore ? true : undefined), WAIT_MS, 'a fresh init');
  assert.equal(browser.ws.readyState, browser.ws.OPEN, 'the browser was kept');
  // The agent on b was told to reconnect (1012), as every agent is when the leader changes.
  assert.equal((await agent.closed).code, 1012);
  const latest = browser.ofType('init').at(-1);
  const host = (latest?.payload.hosts as { id: string; status: string }[]).find((h) => h.id === 'web-1');
  assert.equal(host?.status, 'online', 'within the grace period the host stays online');
});

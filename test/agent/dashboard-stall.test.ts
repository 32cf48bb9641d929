// A dashboard that stalls (here: its thread blocked for 5 s) while a real agent keeps sending
// heartbeats and answering pings does not, once it runs again, call the host offline or cut the
// agent as dead: what the agent sent meanwhile is read before the host is judged.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFleet, waitFor } from './support/fleet.js';
import { killAllAgents } from './support/agent-process.js';

const HOST = 'steady-01';
let fleet: TestFleet | null = null;

after(async () => {
  await killAllAgents();
  await fleet?.close();
});

/** Blocks this thread, and with it the in-process dashboard, without using the CPU. */
function blockThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

test('a stall of the dashboard longer than the offline deadline and the ping interval changes nothing', async () => {
  // Heartbeats every second: offline after 3 s without one. Pings every second.
  fleet = await TestFleet.start({ NIXFLEET_OFFLINE_TIMEOUT: '1s', NIXFLEET_PING_INTERVAL: '1s' });
  const repo = fleet.repo(HOST);
  const agent = await fleet.startAgent(fleet.agentEnv(HOST, repo.hostClone));
  const hub = fleet.t.dashboard.context.hub;
  const before = hub.agentFor(HOST);
  await waitFor(() => (fleet?.host(HOST)?.last_seen ?? 0) > 0, 'a first heartbeat');

  // The stall begins just after a keepalive ping went out, before its pong could be read.
  before?.peer.ping();
  blockThread(5_000);
  // Let the due timers, the waiting frames and whatever they cause run.
  await new Promise((resolve) => setTimeout(resolve, 500));

  const host = fleet.host(HOST);
  assert.equal(host?.status, 'online');
  assert.equal(host?.connected, true);
  assert.equal(hub.agentFor(HOST), before, 'the same connection: it was not cut as dead');
  const events = await fleet.events(HOST);
  assert.deepEqual(events.filter((e) => /offline|heartbeats again/.test(e)), [], events.join('\n'));
  assert.equal(agent.child.exitCode, null);
});

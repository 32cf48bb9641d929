// Reconnecting: delays that grow and are jittered, and a silent dashboard noticed and left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backoffCeilingMs, backoffDelayMs } from '../../src/agent/connection/backoff.js';
import { TestFleet, sleep, waitFor } from './support/fleet.js';
import { killAllAgents, startAgent, type AgentProcess } from './support/agent-process.js';
import { CloseCode } from '../../src/protocol/constants.js';
import { DroppingServer, FreezingProxy } from './support/tcp.js';

let fleet: TestFleet;

before(async () => {
  fleet = await TestFleet.start();
});
after(async () => {
  await killAllAgents();
  await fleet.close();
});

const policy = { minMs: 1_000, maxMs: 60_000 };

test('the backoff ceiling doubles from 1 s with every failed attempt and stops at 60 s', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 50, 5_000].map((attempt) => backoffCeilingMs(attempt, policy)),
    [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000],
  );
});

test('the delay is drawn uniformly below the ceiling (full jitter), so a fleet does not reconnect in step', () => {
  assert.equal(backoffDelayMs(3, policy, () => 0), 0);
  assert.equal(backoffDelayMs(3, policy, () => 0.5), 4_000);
  assert.ok(backoffDelayMs(3, policy, () => 0.999_999) < 8_000);
  const draws = Array.from({ length: 2_000 }, () => backoffDelayMs(20, policy));
  assert.ok(draws.every((d) => d >= 0 && d < 60_000));
  // Spread over the whole window: every tenth of it gets some agents.
  const deciles = new Set(draws.map((d) => Math.floor(d / 6_000)));
  assert.equal(deciles.size, 10);
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
  assert.ok(mean > 27_000 && mean < 33_000, `mean ${mean}`);
});

test('a real agent retries an unreachable dashboard with growing, jittered delays under the ceiling', async () => {
  const down = await DroppingServer.start();
  const repo = fleet.repo('retry-01');
  const minMs = 40;
  const maxMs = 640;
  const agent = startAgent(
    fleet.agentEnv('retry-01', repo.hostClone, {
      NIXFLEET_URL: `ws://127.0.0.1:${down.port}/ws`,
      NIXFLEET_RECONNECT_MIN: `${minMs}ms`,
      NIXFLEET_RECONNECT_MAX: `${maxMs}ms`,
    }),
  );
  try {
    await waitFor(() => down.attempts.length >= 13, 'thirteen connection attempts', 20_000);
  } finally {
    await agent.kill();
    await down.close();
  }
  // What the agent chose to wait (its log) and when its attempts really arrived (the server).
  const chosen = agent
    .stderr()
    .split('\n')
    .filter((line) => line.includes('"disconnected; reconnecting"'))
    .map((line) => (JSON.parse(line) as { delayMs: number }).delayMs)
    .slice(0, 12);
  const gaps = down.attempts.slice(1, 13).map((at, i) => at - (down.attempts[i] ?? 0));
  assert.equal(chosen.length, 12);
  chosen.forEach((delay, attempt) => {
    assert.ok(delay < backoffCeilingMs(attempt, { minMs, maxMs }), `delay ${attempt} of ${delay} ms is under its ceiling`);
    // Timers only ever fire late, so each real gap is at least the chosen delay.
    assert.ok((gaps[attempt] ?? 0) >= delay - 5, `attempt ${attempt + 1} came ${gaps[attempt]} ms after the last, not after ${delay} ms`);
  });
  // They grow: the first three together (at most 280 ms) are shorter than the last five.
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  assert.ok(sum(chosen.slice(0, 3)) < sum(chosen.slice(-5)), `delays ${chosen.join(' ')}`);
  // Jittered: the waits at the ceiling are not one fixed value.
  const capped = chosen.slice(-6);
  assert.ok(Math.max(...capped) - Math.min(...capped) > 50, `capped delays ${capped.join(' ')}`);
});

/** What an agent logged each time it was disconnected: the close code, the delay it chose, and how many replacements in a row. */
function disconnects(agent: AgentProcess): { code: number; delayMs: number; replacedInARow?: number }[] {
  return agent
    .stderr()
    .split('\n')
    .filter((line) => line.includes('"disconnected; reconnecting"'))
    .map((line) => JSON.parse(line) as { code: number; delayMs: number; replacedInARow?: number });
}

test('two agents with one hostname do not fight: each replacement in a row waits longer before the next try', async () => {
  const repo = fleet.repo('twin-01');
  const minMs = 40;
  const extra = { NIXFLEET_RECONNECT_MIN: `${minMs}ms`, NIXFLEET_RECONNECT_MAX: '1280ms' };
  // Two machines configured alike: one hostname, two state dirs.
  const twins = ['twin-a', 'twin-b'].map((name) => startAgent(fleet.agentEnv('twin-01', repo.hostClone, { ...extra, NIXFLEET_STATE_DIR: fleet.stateDir(name) })));
  const replaced = (agent: AgentProcess) => disconnects(agent).filter((d) => d.code === CloseCode.replaced);
  try {
    await waitFor(() => twins.every((agent) => replaced(agent).length >= 5), 'five replacements of each', 30_000);
  } finally {
    await Promise.all(twins.map((agent) => agent.kill()));
  }
  for (const agent of twins) {
    const closes = replaced(agent).slice(0, 5);
    assert.deepEqual(closes.map((d) => d.replacedInARow), [1, 2, 3, 4, 5], 'each replacement counts on from the one before');
    closes.forEach((d) => assert.ok(d.delayMs < backoffCeilingMs(d.replacedInARow ?? 0, { minMs, maxMs: 1_280 }), `${d.delayMs} ms under its ceiling`));
    // From the third on the ceiling is 8 times the first: not all of them can still be under it.
    assert.ok(Math.max(...closes.slice(2).map((d) => d.delayMs)) > minMs, `delays ${closes.map((d) => d.delayMs).join(' ')}`);
  }
});

test('a dashboard that goes silent without closing is left after NIXFLEET_DEAD_AFTER, and the agent registers again', async () => {
  const proxy = await FreezingProxy.start(fleet.t.dashboard.port);
  const repo = fleet.repo('quiet-01');
  const deadAfterMs = 900;
  const env = fleet.agentEnv('quiet-01', repo.hostClone, {
    NIXFLEET_URL: `ws://127.0.0.1:${proxy.port}/ws`,
    NIXFLEET_DEAD_AFTER: `${deadAfterMs}ms`,
  });
  try {
    await fleet.startAgent(env);
    // A live dashboard keeps answering the agent's pings: no reconnect in three dead-after periods.
    await sleep(3 * deadAfterMs);
    assert.equal(proxy.connections, 1);
    const frozenAt = Date.now();
    proxy.freeze();
    await waitFor(() => proxy.connections >= 2, 'a new connection', 5_000);
    const tookMs = Date.now() - frozenAt;
    // Silence counts from the last pong, which came at most one keepalive period (a third) before the freeze.
    assert.ok(tookMs >= (deadAfterMs * 2) / 3 - 100 && tookMs < deadAfterMs + 2_000, `reconnected ${tookMs} ms after the freeze`);
    // The new connection registers and replaces the frozen one.
    await waitFor(() => fleet.host('quiet-01')?.connected && fleet.t.dashboard.context.hub.counts.agents >= 1, 'the agent to register again');
    const heartbeatBefore = fleet.host('quiet-01')?.last_seen ?? 0;
    await waitFor(() => (fleet.host('quiet-01')?.last_seen ?? 0) > heartbeatBefore, 'heartbeats on the new connection');
  } finally {
    await killAllAgents();
    await proxy.close();
  }
});

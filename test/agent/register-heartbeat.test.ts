// The agent registers with protocol v1 and sends heartbeats with the host's real state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TestFleet, waitFor } from './support/fleet.js';
import { killAllAgents } from './support/agent-process.js';
import { AGENT_VERSION } from '../../src/agent/version.js';
import { EXTRA_HEARTBEAT_MIN_GAP_MS, Heartbeat } from '../../src/agent/heartbeat.js';

let fleet: TestFleet;

before(async () => {
  fleet = await TestFleet.start();
});
after(async () => {
  await killAllAgents();
  await fleet.close();
});

test('registers as a v1 agent with its configuration, then sends heartbeats with real metrics every interval', async () => {
  const repo = fleet.repo('web-01');
  const env = fleet.agentEnv('web-01', repo.hostClone, {
    NIXFLEET_LOCATION: 'rack 3',
    NIXFLEET_DEVICE_TYPE: 'server',
    NIXFLEET_THEME_COLOR: '#3366cc',
  });
  await fleet.startAgent(env);
  const host = fleet.host('web-01');
  assert.ok(host);
  assert.equal(host.protocol_version, 1);
  assert.equal(host.agent_version, AGENT_VERSION);
  assert.equal(host.host_type, 'nixos');
  assert.equal(host.theme_color, '#3366cc');
  assert.equal(host.location, 'rack 3');
  assert.equal(host.repo_dir, repo.hostClone);
  assert.equal(host.heartbeat_interval_s, 1);
  assert.equal(host.generation, repo.headOf(repo.hostClone).slice(0, 7));

  // Heartbeats: metrics are real numbers in range, lock_hash is the sha256 of flake.lock.
  const first = await waitFor(() => fleet.host('web-01')?.metrics && fleet.host('web-01'), 'a heartbeat with metrics');
  const metrics = first.metrics;
  assert.ok(metrics);
  for (const key of ['cpu', 'ram', 'swap'] as const) {
    assert.ok(metrics[key] >= 0 && metrics[key] <= 100, `${key} ${metrics[key]} is a percentage`);
  }
  assert.ok(metrics.ram > 0, 'some memory is in use');
  assert.ok(metrics.load >= 0);
  const lock = fs.readFileSync(path.join(repo.hostClone, 'flake.lock'));
  assert.equal(first.lock_hash, createHash('sha256').update(lock).digest('hex'));
  assert.equal(first.nixpkgs_version === '' || /^\d{8}\.[0-9a-f]{7}$|^\d\d\.\d\d/.test(first.nixpkgs_version), true);
  assert.equal(first.pending_command, null);

  // Every interval (1 s): three more heartbeats in about three seconds (slack for a loaded machine).
  const start = Date.now();
  await heartbeats('web-01', 3, 8_000);
  assert.ok(Date.now() - start < 6_000, `three heartbeats took ${Date.now() - start} ms`);
});

/** Waits for `count` heartbeats of `hostId` (its last_seen moving on); returns when each arrived. */
async function heartbeats(hostId: string, count: number, timeoutMs: number): Promise<number[]> {
  const arrivals: number[] = [];
  let last = fleet.host(hostId)?.last_seen ?? 0;
  await waitFor(() => {
    const seen = fleet.host(hostId)?.last_seen ?? 0;
    if (seen > last) {
      last = seen;
      arrivals.push(Date.now());
    }
    return arrivals.length >= count;
  }, `${count} heartbeats of ${hostId}`, timeoutMs);
  return arrivals;
}

test('heartbeats keep their interval while a command floods output, and name it as pending until it is reported', async () => {
  fleet.tools.set('nix', { lines: 10_000, pauseEvery: 2_000, pauseS: 1 });
  const id = await fleet.send('web-01', 'update');
  const arrivals = await heartbeats('web-01', 4, 8_000);
  assert.equal(fleet.command(id)?.status, 'running', 'the command still runs: the heartbeats came during it');
  assert.equal(fleet.host('web-01')?.pending_command, 'update');
  const gaps = arrivals.slice(1).map((at, i) => at - (arrivals[i] ?? at));
  assert.ok(Math.max(...gaps) < 2_500, `heartbeat gaps ${gaps.join(' ')} ms at a 1 s interval`);
  const record = await fleet.ended(id, 30_000);
  assert.equal(record.status, 'succeeded');
  assert.equal(record.output_lines, 10_001, 'every line and the agent\'s own "$ nix" line');
  await heartbeats('web-01', 1, 3_000);
  assert.equal(fleet.host('web-01')?.pending_command, null);
});

test('extra heartbeats (after commands) go out at once, at most one a second, those asked for in between folded into one', async () => {
  const beats: number[] = [];
  const heartbeat = new Heartbeat(3_600_000, () => beats.push(performance.now()));
  heartbeat.soon();
  assert.equal(beats.length, 0, 'none before start: the next register says it all');
  heartbeat.start();
  heartbeat.soon();
  assert.equal(beats.length, 2, 'the one at start, and the extra one at once');
  for (let i = 0; i < 5; i++) heartbeat.soon();
  assert.equal(beats.length, 2);
  try {
    await waitFor(() => beats.length >= 3, 'the folded extra heartbeat', 5_000);
    assert.equal(beats.length, 3, 'five asked for, one sent');
    assert.ok((beats[2] ?? 0) - (beats[1] ?? 0) >= EXTRA_HEARTBEAT_MIN_GAP_MS - 1, `${(beats[2] ?? 0) - (beats[1] ?? 0)} ms apart`);
  } finally {
    heartbeat.stop();
  }
});

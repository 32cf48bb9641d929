// A dashboard killed with SIGKILL in the middle of a rollout, and started again on its data dir, finishes
// the rollout where it was: every host's step runs exactly once, none is lost, the end is right.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessFleet } from './fleet-process.js';
import type { Rollout } from '../../src/protocol/rollout.js';

const AGENTS = 6;
let fleet: ProcessFleet;
let hosts: string[];

before(async () => {
  fleet = await ProcessFleet.start();
  hosts = await fleet.startAgents('roll', AGENTS);
});
after(() => fleet.close());

const rolloutNow = async (id: string) => (await fleet.api<{ rollout: Rollout }>('GET', `/api/rollouts/${id}`)).json.rollout;

test('kill -9 mid-rollout: the restarted dashboard finishes the rollout, and no step runs twice', async () => {
  // Each `update` prints for about a second, so the kill lands with steps running and steps to come.
  fleet.tools.set('nix', { lines: 20, pauseEvery: 5, pauseS: 0.25 });
  const started = await fleet.api<{ rollout: Rollout }>('POST', '/api/rollouts', { hosts, steps: ['update', 'refresh-lock'], batch_size: 2 });
  assert.equal(started.status, 201, JSON.stringify(started.json));
  const { id } = started.json.rollout;
  await fleet.until(async () => ((await rolloutNow(id)).hosts.some((h) => h.state === 'succeeded') ? true : undefined), 'a first host to finish');

  fleet.dashboard.child.kill('SIGKILL');
  assert.equal(await fleet.dashboard.exited, null, 'killed by the signal');
  await fleet.startDashboard();

  const final = await fleet.until(async () => {
    const rollout = await rolloutNow(id);
    return rollout.finished_at !== null ? rollout : undefined;
  }, 'the rollout to end', 120_000);
  assert.equal(final.status, 'succeeded', final.message);
  assert.ok(final.hosts.every((h) => h.state === 'succeeded' && h.steps.every((s) => s.state === 'succeeded')));
  // The fake nix logs every run: one `flake update` per host, whatever the kill interrupted.
  const updates = fleet.tools.calls().filter((call) => call.startsWith('nix') && call.includes('flake update'));
  assert.equal(updates.length, AGENTS, updates.join('\n'));
  const commandIds = final.hosts.flatMap((h) => h.steps.map((s) => s.command_id));
  assert.equal(new Set(commandIds).size, AGENTS * 2, 'every step has its own command');
});

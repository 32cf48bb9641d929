// What the dashboard judges a host against the desired state by, as a real agent reports it: the
// commit checked out (repo_commit), the commit the running system was switched from (system_commit)
// and the hash of flake.lock. In register and every heartbeat, fresh at once after each command, and
// kept across agent restarts. The test reads the agent's own frames through a relay (FrameTap).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TestFleet, waitFor } from './support/fleet.js';
import { killAllAgents } from './support/agent-process.js';
import { FrameTap, type TappedFrame } from './support/frame-tap.js';
import { LOCK_LAST_MODIFIED_S, LOCK_REV, flakeLock, git, type FleetRepo } from './support/fleet-repo.js';

let fleet: TestFleet;
let tap: FrameTap;
/**
 * A heartbeat at registration, then an hour later: any heartbeat seen in between is one the agent
 * sent because a command ended. No background checks either, so only commands change the book.
 */
const QUIET = { NIXFLEET_INTERVAL: '3600', NIXFLEET_REFRESH_INTERVAL: 'off' };
/** How long the heartbeat that follows a status may take on a loaded machine (the interval is an hour). */
const PROMPT_MS = 5_000;

before(async () => {
  fleet = await TestFleet.start();
  tap = await FrameTap.start(fleet.t.wsUrl);
});
after(async () => {
  await killAllAgents();
  await tap.close();
  await fleet.close();
});

const sha256Of = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Runs `command` on `host`, checks how it ended, and returns the heartbeat that followed its status. */
async function run(host: string, command: string, expected: 'succeeded' | 'failed' = 'succeeded'): Promise<Record<string, unknown>> {
  const id = await fleet.send(host, command);
  const record = await fleet.ended(id);
  assert.equal(record.status, expected, `${command}: ${record.message}`);
  const status = await waitFor(() => tap.of(host, 'status').find((f) => f.payload.command_id === id), `the status of ${command}`);
  const heartbeat = await waitFor(() => tap.after(status, 'heartbeat'), `a heartbeat after ${command}`, PROMPT_MS);
  return heartbeat.payload;
}

const HOST = 'facts-01';
let repo: FleetRepo;

test('registers with the full commit checked out and the sha256 of flake.lock; no system commit before a switch', async () => {
  repo = fleet.repo(HOST);
  await fleet.startAgent(fleet.agentEnv(HOST, repo.hostClone, { NIXFLEET_URL: tap.wsUrl, ...QUIET }));
  const head = repo.headOf(repo.hostClone);
  assert.match(head, /^[0-9a-f]{40}$/);
  const lockHash = sha256Of(path.join(repo.hostClone, 'flake.lock'));
  const register = tap.of(HOST, 'register')[0] as TappedFrame;
  const heartbeat = await waitFor(() => tap.of(HOST, 'heartbeat')[0], 'the first heartbeat');
  for (const { payload } of [register, heartbeat]) {
    assert.equal(payload.repo_commit, head);
    assert.equal(payload.lock_hash, lockHash);
    assert.equal(payload.system_commit, '');
  }
});

test('after a pull the next heartbeat follows the status at once and carries the new commit and lock hash', async () => {
  const commit = repo.commit('newer nixpkgs', { 'flake.lock': flakeLock(LOCK_LAST_MODIFIED_S + 86_400, LOCK_REV) });
  const heartbeat = await run(HOST, 'pull');
  assert.equal(heartbeat.repo_commit, commit);
  assert.equal(heartbeat.lock_hash, sha256Of(path.join(repo.hostClone, 'flake.lock')));
  assert.equal(heartbeat.system_commit, '');
});

test('an activation that succeeds records the commit it was built from; a failed one leaves the record; a rollback returns to the one before', async () => {
  fleet.tools.set('nixos-rebuild', { lines: 2 });
  const first = repo.headOf(repo.hostClone);
  const switched = await run(HOST, 'switch');
  assert.equal(switched.system_commit, first);
  assert.equal(switched.repo_commit, first);

  // A newer commit pulled and not switched to: a switch is pending.
  const second = repo.commit('second', { 'hosts/facts-01/a.nix': '{ }\n' });
  const pulled = await run(HOST, 'pull');
  assert.equal(pulled.repo_commit, second);
  assert.equal(pulled.system_commit, first);

  fleet.tools.set('nixos-rebuild', { lines: 2, errorLine: 'error: activation failed', exitCode: 3 });
  const failedSwitch = await run(HOST, 'switch', 'failed');
  assert.equal(failedSwitch.system_commit, first);

  // pull-switch: built from what the pull brought.
  fleet.tools.set('nixos-rebuild', { lines: 2 });
  const third = repo.commit('third', { 'hosts/facts-01/b.nix': '{ }\n' });
  const pullSwitched = await run(HOST, 'pull-switch');
  assert.equal(pullSwitched.repo_commit, third);
  assert.equal(pullSwitched.system_commit, third);

  const rolledBack = await run(HOST, 'rollback');
  assert.equal(rolledBack.system_commit, first);
  assert.equal(rolledBack.repo_commit, third);
});

test('a switch that the next agent process sees end records the commit it started from, not the one checked out by then', async () => {
  const host = 'facts-04';
  const own = fleet.repo(host);
  const env = fleet.agentEnv(host, own.hostClone, { NIXFLEET_URL: tap.wsUrl, ...QUIET });
  const first = await fleet.startAgent(env);
  const builtFrom = own.headOf(own.hostClone);
  fleet.tools.set('nixos-rebuild', { lines: 300, pauseEvery: 100, pauseS: 0.5 });
  const id = await fleet.send(host, 'switch');
  await waitFor(() => (fleet.command(id)?.output_lines ?? 0) >= 20, 'the switch to run');
  await first.kill('SIGKILL');
  // While no agent runs, someone moves the host's checkout on.
  const later = own.commit('later', { 'hosts/facts-04/a.nix': '{ }\n' });
  git(own.hostClone, 'pull', '--quiet', '--ff-only');
  await fleet.startAgent(env);
  const record = await fleet.ended(id, 30_000);
  assert.equal(record.status, 'succeeded', record.message);
  const status = await waitFor(() => tap.of(host, 'status').find((f) => f.payload.command_id === id), 'the status of the switch');
  const heartbeat = await waitFor(() => tap.after(status, 'heartbeat'), 'a heartbeat after the switch', PROMPT_MS);
  assert.equal(heartbeat.payload.system_commit, builtFrom);
  assert.equal(heartbeat.payload.repo_commit, later);
});

test('an agent restart keeps the system commit and the update_status book', async () => {
  const host = 'facts-02';
  const own = fleet.repo(host);
  const env = fleet.agentEnv(host, own.hostClone, { NIXFLEET_URL: tap.wsUrl, ...QUIET });
  const agent = await fleet.startAgent(env);
  fleet.tools.set('nixos-rebuild', { lines: 2 });
  const head = own.headOf(own.hostClone);
  assert.equal((await run(host, 'switch')).system_commit, head);
  own.commit('ahead of the host', { 'hosts/facts-02/a.nix': '{ }\n' });
  const refreshed = (await run(host, 'refresh-git')).update_status as Record<string, { message: string }>;
  assert.equal(refreshed.git?.message, '1 commit behind origin/main');

  // Killed without a chance to save anything on the way out.
  await agent.kill('SIGKILL');
  const registers = tap.of(host, 'register').length;
  await fleet.startAgent(env);
  const register = await waitFor(() => tap.of(host, 'register')[registers], 'the second register');
  assert.equal(register.payload.system_commit, head);
  const heartbeat = await waitFor(() => tap.after(register, 'heartbeat'), 'the first heartbeat of the new agent process');
  assert.equal(heartbeat.payload.system_commit, head);
  assert.deepEqual((heartbeat.payload.update_status as Record<string, unknown>).git, refreshed.git);
});

test('a state file that is not what the agent wrote is reported in its log and ignored', async () => {
  const host = 'facts-03';
  const own = fleet.repo(host);
  const env = fleet.agentEnv(host, own.hostClone, { NIXFLEET_URL: tap.wsUrl, ...QUIET });
  const stateDir = env.NIXFLEET_STATE_DIR ?? '';
  fs.writeFileSync(path.join(stateDir, 'system.json'), '{"commit": "not a commit", "previous": ""}');
  fs.writeFileSync(path.join(stateDir, 'update-status.json'), '{"git": {"status": "ok"');
  const agent = await fleet.startAgent(env);
  const heartbeat = await waitFor(() => tap.of(host, 'heartbeat')[0], 'the first heartbeat');
  assert.equal(heartbeat.payload.system_commit, '');
  assert.deepEqual(heartbeat.payload.update_status, { git: null, lock: null, system: null, tests: null });
  assert.match(agent.stderr(), /system\.json is not a record of the running system; ignored/);
  assert.match(agent.stderr(), /update-status\.json is not an update status record; ignored/);
});

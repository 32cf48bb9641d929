// One command at a time, and `stop` always goes through: it ends the command's whole process group.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TestFleet, waitFor } from './support/fleet.js';
import { killAllAgents, runningAgents } from './support/agent-process.js';
import type { FleetRepo } from './support/fleet-repo.js';
import { isAlive } from '../../src/agent/executor/detached.js';

const HOST = 'db-01';
let fleet: TestFleet;
let repo: FleetRepo;
let stateDir: string;

before(async () => {
  fleet = await TestFleet.start();
  repo = fleet.repo(HOST);
  const env = fleet.agentEnv(HOST, repo.hostClone);
  stateDir = env.NIXFLEET_STATE_DIR ?? '';
  await fleet.startAgent(env);
});
after(async () => {
  await killAllAgents();
  await fleet.close();
});

/** Sends `command` and waits until its program has printed and started its background child. */
async function startLongCommand(command: string, host = HOST): Promise<{ id: string; pids: number[] }> {
  const pidsBefore = fleet.tools.pids().length;
  const childrenBefore = fleet.tools.children().length;
  const id = await fleet.send(host, command);
  await waitFor(() => (fleet.command(id)?.output_lines ?? 0) >= 4 && fleet.tools.children().length > childrenBefore, `${command} to run`);
  return { id, pids: [...fleet.tools.pids().slice(pidsBefore), ...fleet.tools.children().slice(childrenBefore)] };
}

async function allGone(pids: readonly number[]): Promise<void> {
  await waitFor(() => pids.every((pid) => !isAlive(pid)), `pids ${pids.join(' ')} to end`, 5_000);
}

test('stop ends a long-running command and every process it started; the command ends stopped', async () => {
  fleet.tools.set('nix', { lines: 3, spawnChild: true, sleepS: 300 });
  const { id, pids } = await startLongCommand('update');
  assert.ok(pids.every(isAlive));
  const stopId = await fleet.send(HOST, 'stop');
  const record = await fleet.ended(id, 5_000);
  assert.equal(record.status, 'stopped');
  assert.equal(record.message, `stopped by stop ${stopId}`);
  assert.equal(fleet.command(stopId)?.status, 'succeeded');
  await allGone(pids);
  // The host is free again.
  fleet.tools.set('nix', { lines: 1 });
  assert.equal((await fleet.ended(await fleet.send(HOST, 'update'))).status, 'succeeded');
});

test('stop ends a detached switch (its runner and all its processes) and the run log is cleaned up', async () => {
  fleet.tools.set('nixos-rebuild', { lines: 3, spawnChild: true, sleepS: 300 });
  const { id, pids } = await startLongCommand('switch');
  assert.ok(fs.existsSync(path.join(stateDir, 'running.json')));
  await fleet.send(HOST, 'stop');
  const record = await fleet.ended(id, 5_000);
  assert.equal(record.status, 'stopped');
  await allGone(pids);
  await waitFor(() => !fs.existsSync(path.join(stateDir, 'running.json')), 'the run record to be removed');
  assert.deepEqual(fs.readdirSync(path.join(stateDir, 'runs')), []);
});

test('a program that ignores SIGTERM is killed with SIGKILL after the stop grace period', async () => {
  fleet.tools.set('nixos-rebuild', { lines: 3, spawnChild: true, sleepS: 300, ignoreTerm: true });
  const { id, pids } = await startLongCommand('switch');
  const stoppedAt = Date.now();
  await fleet.send(HOST, 'stop');
  const record = await fleet.ended(id, 8_000);
  const tookMs = Date.now() - stoppedAt;
  assert.equal(record.status, 'stopped');
  assert.ok(tookMs >= 1_900, `ended after ${tookMs} ms, before the 2 s grace`);
  await allGone(pids);
});

test('a process of the command that ignores SIGTERM is killed after the grace period even when the program itself ended on SIGTERM', async () => {
  // An agent of its own, with a grace period longer than the 2 s its pipes get to drain after the
  // program ended: the command is over (stopped) well before the grace period is.
  const host = 'db-02';
  await fleet.startAgent(fleet.agentEnv(host, fleet.repo(host).hostClone, { NIXFLEET_STOP_GRACE: '4s' }));
  fleet.tools.set('nix', { lines: 3, spawnChild: true, childIgnoresTerm: true, sleepS: 300 });
  const { id, pids } = await startLongCommand('update', host);
  await fleet.send(host, 'stop');
  assert.equal((await fleet.ended(id, 8_000)).status, 'stopped');
  // The leftover goes with the group at the end of the grace period.
  await waitFor(() => pids.every((pid) => !isAlive(pid)), `pids ${pids.join(' ')} to end`, 10_000);
});

test('a command sent while another runs is refused by the agent with command_rejected (the dashboard lost its records)', async () => {
  fleet.tools.set('nix', { lines: 3, spawnChild: true, sleepS: 300 });
  const { id: updateId, pids } = await startLongCommand('update');
  // A dashboard that lost its database believes the host idle and lets a second command through.
  await fleet.replaceDashboard();
  await waitFor(() => fleet.host(HOST)?.connected, 'the agent to reconnect to the new dashboard');
  const pullId = await fleet.send(HOST, 'pull');
  const refused = await fleet.ended(pullId, 5_000);
  assert.equal(refused.status, 'failed');
  assert.match(refused.message, /refused it, busy with update \(pid \d+\)/);
  assert.equal(fleet.tools.calls().filter((c) => c.startsWith('git')).length, 0);
  assert.ok(pids.every(isAlive), 'the running command was not disturbed');
  // The running command goes on until stopped; once the agent says it is idle, it takes commands again.
  await fleet.send(HOST, 'stop');
  await allGone(pids);
  await waitFor(() => fleet.host(HOST)?.pending_command === null, 'a heartbeat saying nothing runs');
  const pull = await fleet.ended(await fleet.send(HOST, 'pull'));
  assert.equal(pull.status, 'succeeded', pull.message);
  assert.ok(updateId);
});

test('a command sent again is never run twice: ignored while it runs, answered with its status after', async () => {
  fleet.tools.set('nix', { lines: 3, spawnChild: true, sleepS: 300 });
  const { id, pids } = await startLongCommand('update');
  const nixRuns = () => fleet.tools.calls().filter((c) => c.startsWith('nix')).length;
  const runs = nixRuns();
  // The same command once more, as a dashboard that wrongly believed the agent never had it would send it.
  const sendAgain = () => fleet.t.dashboard.context.hub.agentFor(HOST)?.send({ type: 'command', payload: { command: 'update', command_id: id } });
  assert.equal(sendAgain(), true);
  await fleet.send(HOST, 'stop');
  const stopped = await fleet.ended(id);
  assert.equal(stopped.status, 'stopped', `${stopped.status}: ${stopped.message}`);
  await allGone(pids);
  assert.equal(nixRuns(), runs, 'the command ran once');

  // Once reported, a command sent again is not run either; a pull after it goes through as usual.
  fleet.tools.set('nix', { lines: 3 });
  assert.equal(sendAgain(), true);
  const pull = await fleet.ended(await fleet.send(HOST, 'pull'));
  assert.equal(pull.status, 'succeeded', pull.message);
  assert.equal(nixRuns(), runs, 'the command ran once');
  assert.equal(fleet.command(id)?.status, 'stopped');
});

test('an agent told to stop (SIGTERM) stops its running command and reports it before it exits', async () => {
  fleet.tools.set('nix', { lines: 3, spawnChild: true, sleepS: 300 });
  const { id, pids } = await startLongCommand('update');
  const agent = await waitFor(() => runningAgents().find((a) => a.child.exitCode === null), 'the agent process');
  assert.equal((await agent.kill('SIGTERM')).code, 0);
  const record = await fleet.ended(id, 5_000);
  assert.equal(record.status, 'stopped');
  assert.equal(record.message, 'stopped: the agent stops');
  await allGone(pids);
});

// A switch restarts the agent's own service: it outlives the agent process that started it, and the
// next agent process reports the rest of its output and how it ended. `restart` exits with 101.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TestFleet, lineNumbers, range, waitFor } from './support/fleet.js';
import { killAllAgents, startAgent, type AgentProcess } from './support/agent-process.js';
import { assertNeverLost, assertNoGap } from './support/expect.js';
import { isAlive } from '../../src/agent/executor/detached.js';

let fleet: TestFleet;
/** Two agent processes start in these tests; on a loaded machine that alone takes seconds. */
const SLOW_WAIT_MS = 30_000;

before(async () => {
  fleet = await TestFleet.start();
});
after(async () => {
  await killAllAgents();
  await fleet.close();
});

test('a switch outlives the agent killed under it; the next agent process reports every line and the outcome', async () => {
  const host = 'edge-01';
  const repo = fleet.repo(host);
  const env = fleet.agentEnv(host, repo.hostClone);
  // From its TypeScript source, as a developer runs it: the switch's runner then runs from source too
  // (every other agent of the tests is the built program).
  const first = await fleet.startAgent(env, { fromSource: true });
  fleet.tools.set('nixos-rebuild', { lines: 2_000, pauseEvery: 200, pauseS: 0.15 });
  const id = await fleet.send(host, 'switch');
  await waitFor(() => (fleet.command(id)?.output_lines ?? 0) >= 300, 'the first lines');
  await first.kill('SIGKILL');
  const outputBeforeRestart = fleet.command(id)?.output_lines ?? 0;
  // As systemd would after a restart: a new agent process with the same state dir; it restarts
  // itself once it has reported the switch (its new version takes over).
  const second = startAgent({ ...env, NIXFLEET_RESTART_AFTER_SWITCH: 'true' });
  const record = await fleet.ended(id, SLOW_WAIT_MS).catch((err: Error) => {
    throw new Error(`${err.message}\nsecond agent:\n${second.stderr()}`);
  });
  assert.equal(record.status, 'succeeded', record.message);
  const lines = await fleet.output(id);
  assertNoGap(lines);
  assert.deepEqual(lineNumbers(lines), range(1, 2_000));
  assert.ok(lines.length > outputBeforeRestart);
  await assertNeverLost(fleet, host, 'switch');
  assert.equal((await second.exited).code, 101);
  assert.equal(fs.existsSync(path.join(env.NIXFLEET_STATE_DIR ?? '', 'running.json')), false);
});

test('a command queued behind a switch goes to the agent process that starts after the switch restarted the agent', async () => {
  const host = 'edge-03';
  const env = fleet.agentEnv(host, fleet.repo(host).hostClone, { NIXFLEET_RESTART_AFTER_SWITCH: 'true' });
  const first = await fleet.startAgent(env);
  // Long enough (3 s) that the test is queued while the switch runs.
  fleet.tools.set('nixos-rebuild', { lines: 30, pauseEvery: 10, pauseS: 1 });
  const switchId = await fleet.send(host, 'switch');
  // The dashboard sends the test as soon as the switch's status is in, while the agent is about to exit.
  const testId = await fleet.send(host, 'test', { queue: true });
  assert.equal(fleet.command(testId)?.status, 'queued');
  assert.equal((await first.exited).code, 101);
  assert.equal(fleet.command(switchId)?.status, 'succeeded');
  // As systemd would: the next agent process.
  await fleet.startAgent(env);
  const ran = await fleet.ended(testId, SLOW_WAIT_MS);
  assert.equal(ran.status, 'succeeded', ran.message);
  assert.match(ran.message, /no tests/, 'the new agent process ran it');
});

/** The host of the last two tests, and its agent that runs now. */
const EDGE = 'edge-02';
let edgeEnv: Record<string, string>;
let edgeAgent: AgentProcess;

test('a switch that fails while no agent runs is reported as failed by the next agent process', async () => {
  const host = EDGE;
  edgeEnv = fleet.agentEnv(host, fleet.repo(host).hostClone);
  const first = await fleet.startAgent(edgeEnv);
  fleet.tools.set('nixos-rebuild', { lines: 500, pauseEvery: 100, pauseS: 0.1, errorLine: 'error: activation failed', exitCode: 4 });
  const pidsBefore = fleet.tools.pids().length;
  const id = await fleet.send(host, 'switch');
  await waitFor(() => fleet.command(id)?.output_lines, 'the switch to start');
  await first.kill('SIGKILL');
  // The switch ends with no agent to see it; its runner writes the end into the run log.
  const switchPids = await waitFor(() => fleet.tools.pids().slice(pidsBefore).length > 0 && fleet.tools.pids().slice(pidsBefore), 'the switch pid');
  await waitFor(() => switchPids.every((pid) => !isAlive(pid)), 'the switch to end', 10_000);
  edgeAgent = await fleet.startAgent(edgeEnv);
  const record = await fleet.ended(id, SLOW_WAIT_MS);
  assert.equal(record.status, 'failed');
  assert.equal(record.exit_code, 4);
  assert.match(record.message, /nixos-rebuild exited with code 4: error: activation failed/);
  assert.deepEqual(lineNumbers(await fleet.output(id)), range(1, 500));
  await assertNeverLost(fleet, host, 'switch');
});

test('restart exits with code 101, and the dashboard completes it when the next agent process registers', async () => {
  const restartId = await fleet.send(EDGE, 'restart');
  assert.equal((await edgeAgent.exited).code, 101);
  assert.equal(fleet.command(restartId)?.status, 'running');
  await fleet.startAgent(edgeEnv);
  assert.equal((await fleet.ended(restartId)).status, 'succeeded');
});

// The dashboard restarts under a running command: no line and no final status is lost, and past its
// bound the agent's offline buffer gives way visibly, never as a gap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFleet, lineNumbers, range, waitFor } from './support/fleet.js';
import { killAllAgents } from './support/agent-process.js';
import { assertNeverLost, assertNoGap } from './support/expect.js';
import { droppedLinesNotice } from '../../src/agent/output/spool.js';

let fleet: TestFleet;
/** One agent serves every test here; its offline buffer holds 3,000 lines. */
const APP = 'app-01';
const BUFFER_LINES = 3_000;

before(async () => {
  fleet = await TestFleet.start();
  const repo = fleet.repo(APP);
  await fleet.startAgent(fleet.agentEnv(APP, repo.hostClone, { NIXFLEET_OUTPUT_BUFFER: String(BUFFER_LINES) }));
});
after(async () => {
  await killAllAgents();
  await fleet.close();
});

test('the dashboard restarts while a command runs: every line and the final status arrive', async () => {
  fleet.tools.set('nix', { lines: 3_000, pauseEvery: 100, pauseS: 0.06 });
  const id = await fleet.send(APP, 'update');
  await waitFor(() => (fleet.command(id)?.output_lines ?? 0) >= 300, 'the first lines');
  await fleet.restartDashboard(600);
  const record = await fleet.ended(id);
  assert.equal(record.status, 'succeeded', record.message);
  const lines = await fleet.output(id);
  assertNoGap(lines);
  assert.deepEqual(lineNumbers(lines), range(1, 3_000));
  await assertNeverLost(fleet, APP, 'update');
});

test('a command that ends while the dashboard is down is reported after the agent registers again', async () => {
  fleet.tools.set('nix', { delayS: 0.3, lines: 2_000, errorLine: 'error: cannot fetch input', exitCode: 2 });
  const id = await fleet.send(APP, 'update');
  await waitFor(() => fleet.command(id)?.output_lines, 'the command to start');
  // Down for longer than the command runs: its lines and its status wait in the agent.
  await fleet.restartDashboard(1_500);
  const record = await fleet.ended(id);
  assert.equal(record.status, 'failed');
  assert.equal(record.exit_code, 2);
  assert.match(record.message, /cannot fetch input/);
  const lines = await fleet.output(id);
  assertNoGap(lines);
  assert.deepEqual(lineNumbers(lines), range(1, 2_000));
  await assertNeverLost(fleet, APP, 'update');
});

test('past its bound the offline buffer drops the oldest lines for one notice line that takes a seq', async () => {
  const printed = 10_000;
  fleet.tools.set('nix', { delayS: 0.3, lines: printed });
  const id = await fleet.send(APP, 'update');
  await waitFor(() => fleet.command(id)?.output_lines, 'the command to start');
  await fleet.restartDashboard(1_500);
  const record = await fleet.ended(id);
  assert.equal(record.status, 'succeeded', record.message);
  const lines = await fleet.output(id);
  assertNoGap(lines);
  const numbers = lineNumbers(lines);
  const dropped = printed - numbers.length;
  assert.ok(dropped >= printed - BUFFER_LINES, `${dropped} lines dropped`);
  assert.deepEqual(numbers, range(dropped + 1, printed), 'the newest lines are kept, in order');
  assert.equal(lines.filter((l) => l.line === droppedLinesNotice(dropped, BUFFER_LINES)).length, 1, 'one notice names the count');
});

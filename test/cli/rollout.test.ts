// nixfleet rollout against a real dashboard and fake agents on real sockets: start one and follow it
// step by step to its end (exit 0 only when it succeeded), then list, show, pause, resume and cancel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CliDashboard, fakeAgent, runCli, type FakeAgent, type Script } from './support/cli.js';

let dashboard: CliDashboard;
let operate: Record<string, string>;
const agents: FakeAgent[] = [];
/** Released by the test that holds ro-06's command. */
let releaseHeld: () => void = () => undefined;
const held = new Promise<void>((resolve) => (releaseHeld = resolve));

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SCRIPTS: Record<string, (command: string) => Script> = {
  'ro-04': (command) => (command === 'test' ? { lines: ['checking'], status: 'error', message: '1 of 1 tests failed: check.sh' } : { lines: [command] }),
  'ro-06': (command) => ({ lines: [command], halfway: () => held }),
};

before(async () => {
  dashboard = await CliDashboard.start();
  operate = await dashboard.env('operate');
  for (const hostname of ['ro-01', 'ro-02', 'ro-03', 'ro-04', 'ro-05', 'ro-06', 'ro-07']) {
    agents.push(await fakeAgent(dashboard.t.wsUrl, hostname, SCRIPTS[hostname] ?? ((command) => ({ lines: [`${hostname} ${command}`] }))));
  }
});
after(async () => {
  releaseHeld();
  for (const agent of agents) await agent.close();
  await dashboard.close();
});

/** The progress lines of one host, in the order printed. */
const linesOfHost = (stdout: string, hostname: string) => stdout.split('\n').filter((line) => line.startsWith(`${hostname}  `));

test('rollout start --follow tells each step as it ends, canary first, and exits 0 when the rollout succeeded', async () => {
  const run = await runCli(['rollout', 'start', '--host', 'ro-01', '--host', 'ro-02', '--host', 'ro-03', '--preset', 'deploy', '--canary', '1', '--batch-size', '2', '--follow'], operate);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const lines = run.stdout.split('\n');
  assert.match(lines[0] ?? '', new RegExp(`^rollout ${UUID}: deploy \\(pull, switch, test\\) on 3 hosts; 1 canary, then batches of 2, halt on the first failure, skip offline hosts$`));
  for (const hostname of ['ro-01', 'ro-02', 'ro-03']) {
    // A step that started and ended within one update interval is told ended only.
    const told = linesOfHost(run.stdout, hostname).filter((line) => !/ running \(output: nixfleet output [0-9a-f-]+\)$/.test(line));
    assert.deepEqual(told, [`${hostname}  pull succeeded`, `${hostname}  switch succeeded`, `${hostname}  test succeeded`, `${hostname}  succeeded`], run.stdout);
  }
  const canaryDone = lines.indexOf('ro-01  succeeded');
  const othersStart = lines.findIndex((line) => /^ro-0[23] {2}/.test(line));
  assert.ok(canaryDone >= 0 && canaryDone < othersStart, `the canary ended before the others started:\n${run.stdout}`);
  const id = new RegExp(`^rollout (${UUID}):`).exec(lines[0] ?? '')?.[1] ?? '';
  assert.match(run.stdout, new RegExp(`^rollout ${id} succeeded.*\\(3 of 3 hosts done, 0 failed\\)\n {2}ro-01 +succeeded\n {2}ro-02 +succeeded\n {2}ro-03 +succeeded\n$`, 'm'));
  const api = (await dashboard.api('GET', `/api/rollouts/${id}`)).body.rollout as { status: string };
  assert.equal(api.status, 'succeeded');
});

test('rollout start --follow exits 1 when the rollout halts, naming the step that failed', async () => {
  const run = await runCli(['rollout', 'start', '--host', 'ro-04', '--host', 'ro-05', '--steps', 'pull,test', '--batch-size', '1', '--follow'], operate);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /^ro-04 {2}test failed: 1 of 1 tests failed: check\.sh$/m);
  assert.match(run.stdout, /^ro-04 {2}failed$/m);
  assert.match(run.stdout, /^ro-05 {2}skipped$/m);
  assert.match(run.stdout, new RegExp(`^rollout ${UUID} halted`, 'm'));
  assert.match(run.stdout, /^ {2}ro-04 +failed +test: 1 of 1 tests failed: check\.sh$/m, 'the summary names the step that failed');
});

test('rollout start, show, pause, resume, cancel and list, as a script would use them', async () => {
  const started = await runCli(['rollout', 'start', '--host', 'ro-06', '--host', 'ro-07', '--steps', 'pull', '--batch-size', '1'], operate);
  assert.equal(started.code, 0, started.stderr);
  const id = new RegExp(`^rollout (${UUID}) started: pull on 2 hosts; batches of 1, halt on the first failure, skip offline hosts$`).exec(started.stdout.trim())?.[1];
  assert.ok(id, started.stdout);

  const paused = await runCli(['rollout', 'pause', id], operate);
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stdout, new RegExp(`^rollout ${id} paused`));
  const again = await runCli(['rollout', 'pause', id], operate);
  assert.equal(again.code, 1, 'pausing a paused rollout is refused');
  assert.equal(again.stderr.trim().split('\n').length, 1, again.stderr);
  assert.match(again.stderr, /^nixfleet: /);

  const [shown, json] = await Promise.all([runCli(['rollout', 'show', id], operate), runCli(['rollout', 'show', id, '--json'], operate)]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^rollout ${id} paused`));
  assert.match(shown.stdout, new RegExp(`^ro-06 +running +pull:running +${UUID}$`, 'm'), 'the held host, with its step\'s command id');
  assert.match(shown.stdout, /^ro-07 +pending +pull:pending *$/m);
  const record = JSON.parse(json.stdout) as { id: string; status: string };
  assert.deepEqual([record.id, record.status], [id, 'paused']);

  const resumed = await runCli(['rollout', 'resume', id], operate);
  assert.match(resumed.stdout, new RegExp(`^rollout ${id} running`));
  const cancelled = await runCli(['rollout', 'cancel', id], operate);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.equal(cancelled.stdout, `rollout ${id} cancelled\n`);
  releaseHeld();
  const list = await runCli(['rollout', 'list'], operate);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ID +STATUS +STEPS +TARGET +DONE +FAILED +CREATED$/m);
  assert.match(list.stdout, new RegExp(`^${id} +cancelled +pull +2 hosts `, 'm'));
});

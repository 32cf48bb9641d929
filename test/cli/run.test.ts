// nixfleet run and nixfleet output against a real dashboard and fake agents on real sockets: output
// streamed live with host prefixes, every line once and in order; the exit code says whether every
// host succeeded; a token without the operate scope is refused with the dashboard's 403 in one line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../helpers/sockets.js';
import { CliDashboard, fakeAgent, linesOf, numberedLines, runCli, startCli, type FakeAgent, type RunningCli, type Script } from './support/cli.js';

let dashboard: CliDashboard;
let operate: Record<string, string>;
let read: Record<string, string>;
const agents = new Map<string, FakeAgent>();
/** What each host's agent does with the next command; each test sets its own. */
const scripts = new Map<string, (command: string) => Script>();

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

before(async () => {
  dashboard = await CliDashboard.start();
  [operate, read] = await Promise.all([dashboard.env('operate'), dashboard.env('read')]);
  for (const [hostname, tags] of [['run-a', ['web']], ['run-b', ['web']], ['run-c', []]] as const) {
    const script = (command: string) => (scripts.get(hostname) ?? (() => ({ lines: [`${hostname} ran ${command}`] })))(command);
    agents.set(hostname, await fakeAgent(dashboard.t.wsUrl, hostname, script, { tags }));
  }
});
after(async () => {
  for (const agent of agents.values()) await agent.close();
  await dashboard.close();
});

const agent = (hostname: string) => agents.get(hostname) as FakeAgent;

test('run --follow streams each host\'s lines live, prefixed, in order and each once; exit 0 when every host succeeded', async () => {
  let cli: RunningCli | null = null;
  // Each agent sends half its lines, waits until the command line has printed them, then the rest:
  // so they were printed while the commands still ran.
  const halfway = (hostname: string, lastOfHalf: number) => () => (cli as RunningCli).waitForStdout(new RegExp(`^${hostname} +\\| ${hostname} line ${lastOfHalf}$`, 'm'));
  scripts.set('run-a', () => ({ lines: numberedLines('run-a', 40), halfway: halfway('run-a', 19) }));
  scripts.set('run-b', () => ({ lines: numberedLines('run-b', 25), halfway: halfway('run-b', 12) }));
  cli = startCli(['run', 'test', '--host', 'run-a', '--host', 'run-b', '--follow'], operate);
  const run = await cli.finished;
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.deepEqual(linesOf(run.stdout, 'run-a'), numberedLines('run-a', 40));
  assert.deepEqual(linesOf(run.stdout, 'run-b'), numberedLines('run-b', 25));
  assert.match(run.stdout, /^run-a +succeeded \(exit 0, [\d.]+s\)$/m);
  assert.match(run.stdout, /^run-b +succeeded \(exit 0, [\d.]+s\)$/m);
  assert.equal(run.stderr, '');
});

test('run --follow exits 1 when one host\'s command failed, and its summary line says how', async () => {
  scripts.set('run-a', () => ({ lines: numberedLines('run-a', 5) }));
  scripts.set('run-b', () => ({ lines: numberedLines('run-b', 7), status: 'error', message: '1 of 3 tests failed: check.sh' }));
  const run = await runCli(['run', 'test', '--host', 'run-a', '--host', 'run-b', '--follow'], operate);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.deepEqual(linesOf(run.stdout, 'run-b'), numberedLines('run-b', 7), 'the failed host\'s output is all there');
  assert.match(run.stdout, /^run-a +succeeded \(exit 0/m);
  assert.match(run.stdout, /^run-b +failed \(exit 1, [\d.]+s\): 1 of 3 tests failed: check\.sh$/m);
});

test('a host that cannot be sent to is named and counts as a failure; the others still run', async () => {
  scripts.set('run-a', () => ({ lines: ['fine'] }));
  const run = await runCli(['run', 'pull', '--host', 'run-a', '--host', 'nosuch-01', '--follow'], operate);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stderr, /^nixfleet: nosuch-01: .*nosuch-01/m);
  assert.match(run.stdout, /^nosuch-01 +not sent: /m);
  assert.match(run.stdout, /^run-a {5}\| fine$/m, 'prefixes are padded to the longest host name');
  assert.match(run.stdout, /^run-a +succeeded/m);
});

test('without --follow, run --tag prints a command id per host; output prints the stored lines, output --follow waits for the end', async () => {
  scripts.set('run-a', () => ({ lines: numberedLines('run-a', 12) }));
  scripts.set('run-b', () => ({ lines: numberedLines('run-b', 3), status: 'error', message: 'merge conflict' }));
  const sent = await runCli(['run', 'pull', '--tag', 'web'], operate);
  assert.equal(sent.code, 0, sent.stderr);
  const ids = new Map(sent.stdout.trim().split('\n').map((line) => line.split(/ +/) as [string, string]));
  assert.deepEqual([...ids.keys()], ['run-a', 'run-b'], 'the hosts tagged web, and only them');
  for (const id of ids.values()) assert.match(id, UUID);

  // --follow returns once the command has ended; its exit says how it ended.
  const [followedA, followedB] = await Promise.all([runCli(['output', ids.get('run-a') ?? '', '--follow'], read), runCli(['output', ids.get('run-b') ?? '', '-f'], read)]);
  assert.equal(followedA.code, 0, followedA.stderr);
  assert.equal(followedA.stdout, `${numberedLines('run-a', 12).join('\n')}\n`);
  assert.match(followedA.stderr, /^pull on run-a: succeeded \(exit 0/);
  assert.equal(followedB.code, 1);
  assert.match(followedB.stderr, /^pull on run-b: failed \(exit 1, [\d.]+s\): merge conflict$/m);

  const stored = await runCli(['output', ids.get('run-a') ?? ''], read);
  assert.equal(stored.code, 0, stored.stderr);
  assert.equal(stored.stdout, `${numberedLines('run-a', 12).join('\n')}\n`, 'the lines alone, without prefixes, for a pipe');

  const unknown = await runCli(['output', '00000000-0000-0000-0000-000000000000'], read);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr.trim().split('\n').length, 1, unknown.stderr);
  assert.match(unknown.stderr, /^nixfleet: /);
});

test('output prints every line as stored, blank ones too, stored and followed', async () => {
  const lines = ['building', '', 'done', ''];
  scripts.set('run-c', () => ({ lines }));
  const sent = await runCli(['run', 'test', '--host', 'run-c'], operate);
  assert.equal(sent.code, 0, sent.stderr);
  const id = sent.stdout.trim().split(/ +/)[1] ?? '';
  const followed = await runCli(['output', id, '--follow'], read);
  assert.equal(followed.code, 0, followed.stderr);
  assert.equal(followed.stdout, `${lines.join('\n')}\n`);
  const stored = await runCli(['output', id], read);
  assert.equal(stored.stdout, `${lines.join('\n')}\n`, 'a file written from it is the output, line for line');
});

test('cancel withdraws a command still queued behind another; a command no longer queued is said so, exit 1', async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  scripts.set('run-c', (command) => (command === 'test' ? { lines: ['testing', 'tested'], halfway: () => held } : { lines: [`${command} ran`] }));
  const running = await runCli(['run', 'test', '--host', 'run-c'], operate);
  const runningId = running.stdout.trim().split(/ +/)[1] ?? '';
  await eventually(() => agent('run-c').received.find((c) => c.command_id === runningId), 15_000, 'the test to reach the agent');
  const queued = await runCli(['run', 'pull', '--host', 'run-c', '--queue'], operate);
  assert.equal(queued.code, 0, queued.stderr);
  const queuedId = queued.stdout.trim().split(/ +/)[1] ?? '';

  const cancelled = await runCli(['cancel', queuedId], operate);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.equal(cancelled.stdout, `pull on run-c (${queuedId}): cancelled\n`);
  release();
  assert.equal((await runCli(['output', runningId, '--follow'], read)).code, 0);
  await agent('run-c').socket.barrier();
  assert.equal(agent('run-c').received.some((c) => c.command_id === queuedId), false, 'the withdrawn pull never went out');

  // Ended already, and unknown: each said on its own line; exit 1.
  const again = await runCli(['cancel', queuedId, runningId], operate);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`^nixfleet: ${queuedId}: .*cancelled`, 'm'));
  assert.match(again.stderr, new RegExp(`^nixfleet: ${runningId}: .*succeeded`, 'm'));
  const readOnly = await runCli(['cancel', queuedId], read);
  assert.equal(readOnly.code, 3, 'the operate scope is needed');
});

test('a read-scoped token cannot run: exit 3 with the dashboard\'s 403 on one line, and no command is made', async () => {
  const before = agent('run-a').received.length;
  const run = await runCli(['run', 'pull', '--host', 'run-a', '--host', 'run-b', '--follow'], read);
  assert.equal(run.code, 3, run.stdout + run.stderr);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr.trim().split('\n').length, 1, `said once, not per host: ${run.stderr}`);
  assert.match(run.stderr, /^nixfleet: this needs the operate scope; the token "cli read" has read/);
  await agent('run-a').socket.barrier();
  assert.equal(agent('run-a').received.length, before);
  // Reading is what it may do.
  assert.equal((await runCli(['hosts'], read)).code, 0);
});

test('an unknown or revoked token is refused with exit 3 and a line that names the setting', async () => {
  const run = await runCli(['hosts'], { ...operate, NIXFLEET_API_TOKEN: 'nfx_not-a-token-at-all' });
  assert.equal(run.code, 3);
  assert.match(run.stderr, /^nixfleet: the dashboard refused the API token .*NIXFLEET_API_TOKEN/);
});

// A dashboard killed with SIGKILL while 50 real agents stream output, or stopped with SIGTERM, loses
// nothing: the database is intact, the agents come back by themselves, and every command ends with its
// right status and all of its lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessFleet } from './fleet-process.js';

const AGENTS = 50;
const LINES = 400;
let fleet: ProcessFleet;
let hosts: string[];

before(async () => {
  fleet = await ProcessFleet.start();
  hosts = await fleet.startAgents('crash', AGENTS);
});
after(() => fleet.close());

/** Sends `update` to every host at once; the fake `nix` prints LINES lines over about ten seconds. */
async function updateAll(): Promise<string[]> {
  fleet.tools.set('nix', { lines: LINES, pauseEvery: 20, pauseS: 0.5 });
  const sent = await Promise.all(hosts.map((host) => fleet.api<{ command_id: string }>('POST', `/api/hosts/${host}/command`, { command: 'update' })));
  sent.forEach(({ status }, i) => assert.equal(status, 202, hosts[i]));
  return sent.map(({ json }) => json.command_id);
}

/** Waits until every command ended; checks each succeeded with all of its lines, once and in order. */
async function assertAllComplete(ids: string[]): Promise<void> {
  for (const id of ids) {
    const { command, lines } = await fleet.until(async () => {
      const out = await fleet.output(id);
      return out.command.status === 'running' || out.command.status === 'queued' ? undefined : out;
    }, `command ${id} to end`, 90_000);
    assert.equal(command.status, 'succeeded', `${id}: ${command.message}`);
    assert.deepEqual(lines.map((l) => l.seq), lines.map((_, i) => i), `${id}: seq has no gap and no repeat`);
    const numbered = lines.map((l) => /^line (\d+)$/.exec(l.line)?.[1]).filter((n) => n !== undefined).map(Number);
    assert.deepEqual(numbered, Array.from({ length: LINES }, (_, i) => i + 1), `${id}: every line of the program, once, in order`);
  }
}

/**
 * Waits until every command has streamed some output (or already ended) while most still run, so the
 * stop lands mid-stream. On a timeout, names the commands that had not got that far.
 */
async function midStream(ids: string[]): Promise<void> {
  let behind: string[] = [];
  await fleet
    .until(async () => {
      const streaming = new Map((await fleet.hosts()).flatMap((h) => (h.running_command ? [[h.running_command.id, h.running_command.output_lines] as const] : [])));
      const running = ids.filter((id) => streaming.has(id));
      behind = running.filter((id) => (streaming.get(id) ?? 0) < 20);
      const unfinished = await Promise.all(ids.filter((id) => !streaming.has(id)).map(async (id) => ((await fleet.output(id)).command.status === 'queued' ? id : null)));
      behind.push(...unfinished.filter((id) => id !== null));
      return behind.length === 0 && running.length >= ids.length / 2 ? true : undefined;
    }, 'every host streaming', 60_000)
    .catch((err: Error) => {
      throw new Error(`${err.message}; not yet streaming: ${behind.join(', ') || 'none (most had ended)'}`);
    });
}

test('kill -9 mid-stream: the database passes integrity_check, agents reconnect, every command ends right with every line', async () => {
  const ids = await updateAll();
  await midStream(ids);
  fleet.dashboard.child.kill('SIGKILL');
  assert.equal(await fleet.dashboard.exited, null, 'killed by the signal');
  assert.equal(fleet.integrity(), 'ok');

  await fleet.startDashboard();
  await assertAllComplete(ids);
  const connected = (await fleet.hosts()).filter((h) => hosts.includes(h.id) && h.connected).length;
  assert.equal(connected, AGENTS, 'every agent came back by itself');
});

test('SIGTERM mid-stream: the dashboard exits 0 within 5 s, and after it returns nothing is missing', async (t) => {
  const ids = await updateAll();
  await midStream(ids);
  const started = Date.now();
  const code = await fleet.dashboard.stop();
  const tookMs = Date.now() - started;
  // How long each phase took, in the test report even when it passes: this is the tightest bound.
  const phases = fleet.dashboard.logText().split('\n').filter((l) => /"msg":"(stop|storage closed)/.test(l));
  t.diagnostic(`signal at ${started}, exit ${code} after ${tookMs} ms\n${phases.join('\n')}`);
  assert.equal(code, 0, `exit ${code} after ${tookMs} ms:\n${phases.join('\n')}`);
  assert.ok(tookMs < 5_000, `stopped in ${tookMs} ms: ${phases.join('\n')}`);
  assert.equal(fleet.integrity(), 'ok');
  assert.match(fleet.dashboard.logText(), /"signal":"SIGTERM"/);

  await fleet.startDashboard();
  await assertAllComplete(ids);
});

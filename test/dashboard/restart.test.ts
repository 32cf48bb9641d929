// After a dashboard restart on the same data dir, hosts, sessions, commands, stored output and the
// state version are all there; a command that was running stays running only if its agent says so,
// and goes out again when its agent shows it never had it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { login, sendCommand, startTestDashboard, tempDir, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, heartbeatPayload, type Message } from '../helpers/sockets.js';

interface Before {
  dataDir: string;
  session: Session;
  finishedId: string;
  runningIds: Record<string, string>;
  lastVersion: number;
}

/** Runs a first dashboard: hosts register, commands run (one finishes), output is stored; then it stops. */
async function firstLife(): Promise<Before> {
  const dataDir = tempDir();
  const t = await startTestDashboard({}, dataDir);
  const session = await login(t.url);
  const browser = await connectBrowser(t.wsUrl, session);
  const hosts = ['keep-v1', 'gone-v1', 'unreached-v1', 'keep-v0', 'gone-v0', 'rebooting'];
  const agents = await Promise.all(hosts.map((h) => connectAgent(t.wsUrl, h, h.endsWith('v0') ? {} : { protocol_version: 1, running: null })));
  const [keepV1, goneV1] = agents;
  const first = await sendCommand(t.url, session, 'keep-v1', 'pull');
  const finishedId = String(first.body.command_id);
  keepV1?.send('output', { command_id: finishedId, lines: [0, 1, 2].map((seq) => ({ seq, stream: 'stdout', line: `pulled ${seq}` })) });
  keepV1?.send('status', { status: 'ok', command: 'pull', command_id: finishedId, exit_code: 0, message: 'up to date' });
  await browser.next((m) => m.type === 'command_update' && (m.payload.command as { status: string }).status === 'succeeded');

  const runningIds: Record<string, string> = {};
  for (const host of hosts) {
    const { body } = await sendCommand(t.url, session, host, host === 'rebooting' ? 'reboot' : 'switch');
    runningIds[host] = String(body.command_id);
  }
  keepV1?.send('output', { command_id: runningIds['keep-v1'], lines: [0, 1].map((seq) => ({ seq, stream: 'stderr', line: `building ${seq}` })) });
  goneV1?.send('output', { command_id: runningIds['gone-v1'], lines: [{ seq: 0, stream: 'stdout', line: 'started' }] });
  const last = await browser.next((m) => m.type === 'host_update' && (m.payload.host as { id: string }).id === 'rebooting' && (m.payload.host as { running_command: unknown }).running_command !== null);
  await t.close();
  await Promise.all(agents.map((a) => a.closed));
  return { dataDir, session, finishedId, runningIds, lastVersion: last.version as number };
}

test('hosts, sessions, commands, stored output and the version survive a restart; running commands are reconciled', async () => {
  const before = await firstLife();
  const t: TestDashboard = await startTestDashboard({}, before.dataDir);
  try {
    // The old session cookie still works.
    const hostsResponse = await fetch(`${t.url}/api/hosts`, { headers: { cookie: before.session.cookie } });
    assert.equal(hostsResponse.status, 200);
    const { hosts } = (await hostsResponse.json()) as { hosts: { id: string; generation: string; connected: boolean }[] };
    assert.deepEqual(hosts.map((h) => h.id).sort(), ['gone-v0', 'gone-v1', 'keep-v0', 'keep-v1', 'rebooting', 'unreached-v1']);
    assert.ok(hosts.every((h) => h.connected === false));

    const browser = await connectBrowser(t.wsUrl, before.session);
    const init = browser.ofType('init')[0] as Message;
    assert.ok((init.payload.version as number) >= before.lastVersion, 'the version did not go back');
    const commands = init.payload.commands as { id: string; status: string; output_lines: number; message: string }[];
    const finished = commands.find((c) => c.id === before.finishedId);
    assert.equal(finished?.status, 'succeeded');
    assert.equal(finished?.message, 'up to date');
    assert.equal(finished?.output_lines, 3);
    for (const id of Object.values(before.runningIds)) assert.equal(commands.find((c) => c.id === id)?.status, 'running');

    const output = await fetch(`${t.url}/api/commands/${before.finishedId}/output`, { headers: { cookie: before.session.cookie } });
    const { lines } = (await output.json()) as { lines: { seq: number; line: string }[] };
    assert.deepEqual(lines.map((l) => l.line), ['pulled 0', 'pulled 1', 'pulled 2']);

    // v1 agents say in register what they still run.
    const ids = before.runningIds;
    const keepV1 = await connectAgent(t.wsUrl, 'keep-v1', { protocol_version: 1, running: { command_id: ids['keep-v1'], command: 'switch', pid: 123 } });
    // It ran gone-v1's command (output came) but no longer names it: how it ended is unknown.
    const goneV1 = await connectAgent(t.wsUrl, 'gone-v1', { protocol_version: 1, running: null });
    // No line of unreached-v1's command ever came and the agent does not name it: it never had it.
    const unreachedV1 = await connectAgent(t.wsUrl, 'unreached-v1', { protocol_version: 1, running: null });
    // v0 agents say it in their first heartbeat.
    const keepV0 = await connectAgent(t.wsUrl, 'keep-v0', {});
    keepV0.send('heartbeat', heartbeatPayload({ pending_command: 'switch', command_pid: 77 }));
    const goneV0 = await connectAgent(t.wsUrl, 'gone-v0', {});
    goneV0.send('heartbeat', heartbeatPayload({ pending_command: null }));
    // A reboot is done when the agent is back.
    const rebooting = await connectAgent(t.wsUrl, 'rebooting');

    const book = () => t.dashboard.context.hub.parts.commands;
    const statusOf = async (host: string, status: string) =>
      browser.next((m) => m.type === 'command_update' && (m.payload.command as { id: string }).id === ids[host] && (m.payload.command as { status: string }).status === status);
    const lostV1 = await statusOf('gone-v1', 'lost');
    assert.match(String((lostV1.payload.command as { message: string }).message), /reconnected without running it/);
    await statusOf('gone-v0', 'lost');
    const again = await unreachedV1.next('command');
    assert.deepEqual(again.payload, { command: 'switch', command_id: ids['unreached-v1'] });
    assert.equal(book().get(ids['unreached-v1'] ?? '')?.status, 'running');
    await statusOf('rebooting', 'succeeded');
    keepV0.send('heartbeat', heartbeatPayload({ pending_command: 'switch', command_pid: 77 }));
    await browser.next((m) => m.type === 'host_update' && (m.payload.host as { id: string }).id === 'keep-v0');
    assert.equal(book().get(ids['keep-v1'] ?? '')?.status, 'running');
    assert.equal(book().get(ids['keep-v0'] ?? '')?.status, 'running');
    assert.equal(book().runningFor('gone-v1'), undefined);

    // The surviving v1 command goes on numbering its output after the stored lines, and ends normally.
    keepV1.send('output', { command_id: ids['keep-v1'], lines: [{ seq: 1, stream: 'stderr', line: 'building 1' }, { seq: 2, stream: 'stdout', line: 'done' }] });
    keepV1.send('status', { status: 'ok', command: 'switch', command_id: ids['keep-v1'], exit_code: 0 });
    await statusOf('keep-v1', 'succeeded');
    const all = await fetch(`${t.url}/api/commands/${ids['keep-v1']}/output`, { headers: { cookie: before.session.cookie } });
    const replay = (await all.json()) as { lines: { seq: number; line: string }[] };
    assert.deepEqual(replay.lines.map((l) => `${l.seq}:${l.line}`), ['0:building 0', '1:building 1', '2:done']);

    // A v0 status without an id still finds the surviving command.
    keepV0.send('status', { status: 'error', command: 'switch', exit_code: 1, message: 'build failed' });
    await statusOf('keep-v0', 'failed');
    await Promise.all([keepV1, goneV1, unreachedV1, keepV0, goneV0, rebooting, browser].map((s) => s.close()));
  } finally {
    await t.close();
  }
});

test('a lost command that its agent reports running again is running again, and a late status settles it', async () => {
  const t = await startTestDashboard();
  try {
    const session = await login(t.url);
    let agent = await connectAgent(t.wsUrl, 'late-report');
    const { body } = await sendCommand(t.url, session, 'late-report', 'switch');
    const id = String(body.command_id);
    agent.send('output', { command_id: id, lines: [{ seq: 0, stream: 'stdout', line: 'activating' }] });
    await agent.close();
    // The agent ran it (a line came) and comes back without it (its record said nothing): lost.
    agent = await connectAgent(t.wsUrl, 'late-report', { protocol_version: 1, running: null });
    const book = t.dashboard.context.hub.parts.commands;
    assert.equal(book.get(id)?.status, 'lost');
    // Its final status arrives late: it settles the unknown outcome.
    agent.send('status', { status: 'ok', command: 'switch', command_id: id, exit_code: 0, message: 'switched' });
    const browser = await connectBrowser(t.wsUrl, session);
    browser.send('get_state', {});
    await browser.next('init');
    assert.equal(book.get(id)?.status, 'succeeded');
    assert.equal(book.get(id)?.message, 'switched');
    await Promise.all([agent.close(), browser.close()]);
  } finally {
    await t.close();
  }
});

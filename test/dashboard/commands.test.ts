// Scenarios 1, 4 and 5: heartbeats update hosts everywhere; commands go to their host's agent only
// and live through queued → running → a final status, matched by id (v1) or by the running command (v0).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import path from 'node:path';
import { login, sendCommand, startTestDashboard, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, eventually, heartbeatPayload, type Message } from '../helpers/sockets.js';
import { DATABASE_FILE } from '../../src/dashboard/store/sqlite/sqlite-store.js';

let t: TestDashboard;
let session: Session;

before(async () => {
  t = await startTestDashboard();
  session = await login(t.url);
});
after(() => t.close());

const hostOf = (m: Message) => m.payload.host as Record<string, unknown>;
const commandOf = (m: Message) => m.payload.command as Record<string, unknown>;
const isCommandUpdate = (id: unknown, status: string) => (m: Message) =>
  m.type === 'command_update' && commandOf(m).id === id && commandOf(m).status === status;

function storedHost(id: string): Record<string, unknown> | undefined {
  const db = new Database(path.join(t.dataDir, DATABASE_FILE), { readonly: true });
  try {
    const row = db.prepare('SELECT data FROM hosts WHERE id = ?').get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Record<string, unknown>) : undefined;
  } finally {
    db.close();
  }
}

test('a heartbeat updates the host in memory and in SQLite, and every browser gets host_update', async () => {
  const agent = await connectAgent(t.wsUrl, 'hb-01');
  const browsers = [await connectBrowser(t.wsUrl, session), await connectBrowser(t.wsUrl, session)];
  agent.send('heartbeat', heartbeatPayload({ generation: 'beef001', metrics: { cpu: 77, ram: 55, swap: 1, load: 2.5 } }));
  for (const browser of browsers) {
    const update = await browser.next((m) => m.type === 'host_update' && hostOf(m).id === 'hb-01' && hostOf(m).generation === 'beef001');
    assert.deepEqual(hostOf(update).metrics, { cpu: 77, ram: 55, swap: 1, load: 2.5 });
    assert.equal((hostOf(update).update_status as { system: { status: string } }).system.status, 'outdated');
    assert.ok(typeof hostOf(update).last_seen === 'string');
  }
  const inMemory = t.dashboard.context.hub.parts.fleet.get('hb-01')?.record;
  assert.equal(inMemory?.generation, 'beef001');
  await t.dashboard.context.store.flush();
  const stored = storedHost('hb-01');
  assert.equal(stored?.generation, 'beef001');
  assert.deepEqual(stored?.metrics, { cpu: 77, ram: 55, swap: 1, load: 2.5 });
  assert.equal(stored?.last_seen, inMemory?.last_seen);
  await Promise.all([agent.close(), ...browsers.map((b) => b.close())]);
});

test('a command goes to its host only, answers 202 and is broadcast queued, running, then succeeded', async () => {
  const target = await connectAgent(t.wsUrl, 'cmd-target');
  const bystander = await connectAgent(t.wsUrl, 'cmd-bystander');
  const browser = await connectBrowser(t.wsUrl, session);

  const { status, body } = await sendCommand(t.url, session, 'cmd-target', 'switch');
  assert.equal(status, 202);
  assert.equal(body.status, 'queued');
  const id = body.command_id;
  assert.equal(typeof id, 'string');

  const received = await target.next('command');
  assert.deepEqual(received.payload, { command: 'switch', command_id: id });
  const queued = await browser.next((m) => m.type === 'command_queued' && commandOf(m).id === id);
  assert.equal(commandOf(queued).status, 'queued');
  assert.equal(commandOf(queued).host_id, 'cmd-target');
  await browser.next(isCommandUpdate(id, 'running'));
  const busy = await browser.next((m) => m.type === 'host_update' && hostOf(m).id === 'cmd-target');
  assert.equal((hostOf(busy).running_command as { id: string } | null)?.id, id);

  target.send('status', { status: 'ok', command: 'switch', command_id: id, exit_code: 0, message: 'done', generation: 'new0001' });
  const done = await browser.next(isCommandUpdate(id, 'succeeded'));
  assert.equal(commandOf(done).exit_code, 0);
  assert.ok(commandOf(done).finished_at);
  const idle = await browser.next((m) => m.type === 'host_update' && hostOf(m).id === 'cmd-target' && hostOf(m).running_command === null);
  assert.ok(idle);
  assert.equal(t.dashboard.context.hub.parts.fleet.get('cmd-target')?.record.generation, 'new0001');

  // The other agent never saw any of it, and never gets browser broadcasts.
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    bystander.messages.map((m) => m.type),
    ['registered'],
  );
  await Promise.all([target.close(), bystander.close(), browser.close()]);
});

test('409 while busy and when offline, but stop always goes through; 400 unknown command; 404 unknown host', async () => {
  const agent = await connectAgent(t.wsUrl, 'busy-01');
  const first = await sendCommand(t.url, session, 'busy-01', 'test');
  assert.equal(first.status, 202);
  const second = await sendCommand(t.url, session, 'busy-01', 'pull');
  assert.equal(second.status, 409);
  assert.equal(second.body.error, 'host_busy');
  assert.match(String(second.body.message), /busy with test/);

  const stop = await sendCommand(t.url, session, 'busy-01', 'stop');
  assert.equal(stop.status, 202);
  const stopFrame = await agent.next((m) => m.type === 'command' && m.payload.command === 'stop');
  assert.equal(stopFrame.payload.command_id, stop.body.command_id);
  // stop does not make the host busy with itself; the stopped command is still the running one.
  assert.equal(t.dashboard.context.hub.parts.commands.runningFor('busy-01')?.id, first.body.command_id);

  assert.equal((await sendCommand(t.url, session, 'busy-01', 'rm -rf /')).status, 400);
  assert.equal((await sendCommand(t.url, session, 'no-such-host', 'pull')).status, 404);

  // Once its agent is gone (still within the grace period) the host cannot take commands.
  await agent.close();
  await new Promise((r) => setTimeout(r, 50));
  const offline = await sendCommand(t.url, session, 'busy-01', 'stop');
  assert.equal(offline.status, 409);
  assert.equal(offline.body.error, 'host_offline');
});

test('v0: status without an id ends the host running command with the same name; a duplicate changes nothing', async () => {
  const agent = await connectAgent(t.wsUrl, 'v0-status', {});
  const browser = await connectBrowser(t.wsUrl, session);
  const { body } = await sendCommand(t.url, session, 'v0-status', 'pull');
  await agent.next('command');
  // A status naming another command is not about this one.
  agent.send('status', { status: 'ok', command: 'switch', exit_code: 0, message: '' });
  agent.send('status', { status: 'error', command: 'pull', exit_code: 1, message: 'merge conflict' });
  const failed = await browser.next(isCommandUpdate(body.command_id, 'failed'));
  assert.equal(commandOf(failed).message, 'merge conflict');
  assert.equal(commandOf(failed).exit_code, 1);

  agent.send('status', { status: 'ok', command: 'pull', exit_code: 0, message: 'late' });
  agent.send('heartbeat', heartbeatPayload());
  await browser.next((m) => m.type === 'host_update' && hostOf(m).id === 'v0-status');
  const record = t.dashboard.context.hub.parts.commands.get(String(body.command_id));
  assert.equal(record?.status, 'failed');
  assert.equal(record?.message, 'merge conflict');
  assert.equal(browser.messages.filter(isCommandUpdate(body.command_id, 'succeeded')).length, 0);
  await Promise.all([agent.close(), browser.close()]);
});

test('v1: a status is matched by command_id; a late or duplicate one changes nothing', async () => {
  const agent = await connectAgent(t.wsUrl, 'v1-status');
  const { body } = await sendCommand(t.url, session, 'v1-status', 'pull');
  const id = String(body.command_id);
  await agent.next('command');
  agent.send('status', { status: 'stopped', command: 'pull', command_id: id, exit_code: 143, message: 'stopped by admin' });
  const commands = t.dashboard.context.hub.parts.commands;
  await eventually(() => (commands.get(id)?.status === 'stopped' ? true : undefined), 2000, 'stopped');
  agent.send('status', { status: 'ok', command: 'pull', command_id: id, exit_code: 0, message: '' });
  agent.send('status', { status: 'ok', command: 'pull', command_id: 'not-a-known-id', exit_code: 0 });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(commands.get(id)?.status, 'stopped');
  assert.equal(commands.get(id)?.exit_code, 143);
  await agent.close();
});

test('command_rejected ends the command as failed, naming what the agent is busy with', async () => {
  const agent = await connectAgent(t.wsUrl, 'rejecting');
  const browser = await connectBrowser(t.wsUrl, session);
  const { body } = await sendCommand(t.url, session, 'rejecting', 'switch');
  await agent.next('command');
  agent.send('command_rejected', { reason: 'one at a time', current_command: 'update', current_pid: 4242, command_id: body.command_id });
  const failed = await browser.next(isCommandUpdate(body.command_id, 'failed'));
  assert.match(String(commandOf(failed).message), /busy with update \(pid 4242\)/);
  assert.equal(t.dashboard.context.hub.parts.commands.runningFor('rejecting'), undefined);
  await Promise.all([agent.close(), browser.close()]);
});

test('operation_progress and test_progress reach browsers with the host id', async () => {
  const agent = await connectAgent(t.wsUrl, 'progressing');
  const browser = await connectBrowser(t.wsUrl, session);
  agent.send('operation_progress', { progress: { system: { current: 3, total: 10, status: 'building' } } });
  agent.send('test_progress', { current: 2, total: 5, passed: 1, running: 'ssh.sh', result: 'fail' });
  const op = await browser.next('operation_progress');
  assert.equal(op.payload.host_id, 'progressing');
  assert.deepEqual(op.payload.progress, { system: { current: 3, total: 10, status: 'building' } });
  const tp = await browser.next('test_progress');
  assert.equal(tp.payload.host_id, 'progressing');
  assert.equal(tp.payload.passed, 1);
  await Promise.all([agent.close(), browser.close()]);
});


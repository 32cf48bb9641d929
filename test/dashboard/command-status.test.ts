// GET /api/commands/:id: a script that sent a command reads how it goes, without its output: running,
// then how it ended, also once the dashboard no longer keeps it in memory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, sendCommand, startTestDashboard, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, eventually } from '../helpers/sockets.js';
import { RECENT_COMMANDS_KEPT } from '../../src/dashboard/commands/command-book.js';

let t: TestDashboard;
let session: Session;

before(async () => {
  t = await startTestDashboard();
  session = await login(t.url);
});
after(() => t.close());

async function commandOf(id: string, cookie = session.cookie): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${t.url}/api/commands/${encodeURIComponent(id)}`, { headers: cookie ? { cookie } : {} });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('a command is read while it runs and after it ended, with its exit code and message', async () => {
  const agent = await connectAgent(t.wsUrl, 'status-01');
  const sent = await sendCommand(t.url, session, 'status-01', 'switch');
  assert.equal(sent.status, 202);
  const id = String(sent.body.command_id);
  await agent.next('command');
  const running = await commandOf(id);
  assert.equal(running.status, 200);
  assert.deepEqual(
    (({ id: got, host_id, command, status }) => ({ got, host_id, command, status }))(running.body.command as Record<string, unknown>),
    { got: id, host_id: 'status-01', command: 'switch', status: 'running' },
  );

  agent.send('status', { status: 'error', command: 'switch', command_id: id, exit_code: 3, message: 'build failed' });
  const commands = t.dashboard.context.hub.parts.commands;
  await eventually(() => (commands.get(id)?.status === 'running' ? undefined : true), 5_000, 'the command to end');
  const ended = (await commandOf(id)).body.command as Record<string, unknown>;
  assert.deepEqual({ status: ended.status, exit_code: ended.exit_code, message: ended.message }, { status: 'failed', exit_code: 3, message: 'build failed' });
  await agent.close();
});

test('a command the dashboard no longer keeps in memory is read from the database', async () => {
  const agent = await connectAgent(t.wsUrl, 'status-02');
  const id = String((await sendCommand(t.url, session, 'status-02', 'pull')).body.command_id);
  await agent.next('command');
  agent.send('status', { status: 'ok', command: 'pull', command_id: id, exit_code: 0 });
  const commands = t.dashboard.context.hub.parts.commands;
  await eventually(() => (commands.get(id)?.status === 'succeeded' ? true : undefined), 5_000, 'the command to succeed');
  await t.dashboard.context.store.flush();
  // More finished commands than the dashboard keeps in memory push it out.
  for (let i = 0; i <= RECENT_COMMANDS_KEPT; i++) {
    const later = await sendCommand(t.url, session, 'status-02', 'pull');
    assert.equal(later.status, 202, JSON.stringify(later.body));
    const next = String(later.body.command_id);
    await agent.next('command');
    agent.send('status', { status: 'ok', command: 'pull', command_id: next, exit_code: 0 });
    await eventually(() => (commands.get(next)?.status === 'succeeded' ? true : undefined), 5_000, `command ${i} to succeed`);
  }
  assert.equal(commands.get(id), undefined, 'no longer in memory');
  const { status, body } = await commandOf(id);
  assert.equal(status, 200);
  assert.deepEqual((({ id: got, status: state }) => ({ got, state }))(body.command as Record<string, unknown>), { got: id, state: 'succeeded' });
  await agent.close();
});

test('an unknown command is a 404, and without credentials nothing is told', async () => {
  const unknown = await commandOf('no-such-command');
  assert.deepEqual({ status: unknown.status, error: unknown.body.error }, { status: 404, error: 'unknown_command' });
  const anonymous = await commandOf('no-such-command', '');
  assert.equal(anonymous.status, 401);
});

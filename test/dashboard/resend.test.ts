// A command its agent never had goes out again instead of being given up as lost: here, the agent
// reconnects while the command's record is still being written, so it was never sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { login, sendCommand, startTestDashboard } from '../helpers/dashboard.js';
import { connectAgent } from '../helpers/sockets.js';
import { waitFor } from '../agent/support/fleet.js';

/**
 * A dashboard whose writes gather for three seconds, a v1 agent for `host`, and a `switch` for it
 * that is running on record but not yet on its way (its 202 comes once it is written).
 */
async function switchBeingWritten(host: string) {
  const t = await startTestDashboard({ NIXFLEET_STORE_FLUSH_INTERVAL: '3s' });
  const session = await login(t.url);
  const book = t.dashboard.context.hub.parts.commands;
  const agent = await connectAgent(t.wsUrl, host, { protocol_version: 1, running: null });
  const accepted = sendCommand(t.url, session, host, 'switch');
  const record = await waitFor(() => book.runningFor(host), `the switch for ${host} to be running`);
  return { t, session, book, agent, accepted, record };
}

test('a command whose agent reconnects before it was sent goes out on the new connection', async () => {
  const { t, book, agent: first, accepted, record } = await switchBeingWritten('slow-disk');
  try {
    const id = record.id;
    assert.equal(book.sentAtOf(record), undefined, 'the record is still being written');

    await first.close();
    const second = await connectAgent(t.wsUrl, 'slow-disk', { protocol_version: 1, running: null });
    const { status, body } = await accepted;
    assert.equal(status, 202);
    assert.equal(body.command_id, id);
    const command = await second.next('command');
    assert.deepEqual(command.payload, { command: 'switch', command_id: id });
    assert.deepEqual(first.ofType('command'), [], 'nothing went to the closed connection');
    assert.equal(book.get(id)?.status, 'running');
    assert.ok(book.sentAtOf(record) !== undefined, 'it went out');

    // The agent runs it and reports it as usual.
    second.send('output', { command_id: id, lines: [{ seq: 0, stream: 'stdout', line: 'activating' }] });
    second.send('status', { status: 'ok', command: 'switch', command_id: id, exit_code: 0, message: 'switched' });
    await waitFor(() => book.get(id)?.status !== 'running', 'the switch to end');
    assert.equal(book.get(id)?.status, 'succeeded');
    assert.equal(book.get(id)?.output_lines, 1);
    await second.close();
  } finally {
    await t.close();
  }
});

test('stop for a command still waiting to be sent stops it there: the agent never gets it', async () => {
  const { t, session, book, agent, accepted } = await switchBeingWritten('stopped-early');
  try {
    const stop = await sendCommand(t.url, session, 'stopped-early', 'stop');
    assert.equal(stop.status, 202);
    const { body } = await accepted;
    const id = String(body.command_id);
    assert.equal(book.get(id)?.status, 'stopped');
    assert.match(book.get(id)?.message ?? '', /before it was sent/);
    // The agent got the stop and nothing else: a ping's pong comes after every frame sent before it.
    await agent.barrier();
    assert.deepEqual(agent.ofType('command').map((m) => m.payload.command), ['stop']);
    assert.equal(book.runningFor('stopped-early'), undefined);
    await agent.close();
  } finally {
    await t.close();
  }
});

test('a command its agent names again after it was given up as lost is not sent a second time', async () => {
  const t = await startTestDashboard();
  try {
    const session = await login(t.url);
    const book = t.dashboard.context.hub.parts.commands;
    let agent = await connectAgent(t.wsUrl, 'named', { protocol_version: 1, running: null });
    const { body } = await sendCommand(t.url, session, 'named', 'switch');
    const id = String(body.command_id);
    await agent.next('command');
    agent.send('output', { command_id: id, lines: [{ seq: 0, stream: 'stdout', line: 'activating' }] });
    await agent.close();
    // Back without naming it: lost. Back again naming it: running after all.
    agent = await connectAgent(t.wsUrl, 'named', { protocol_version: 1, running: null });
    assert.equal(book.get(id)?.status, 'lost');
    await agent.close();
    const running = { command_id: id, command: 'switch', pid: 4242 };
    agent = await connectAgent(t.wsUrl, 'named', { protocol_version: 1, running });
    assert.equal(book.get(id)?.status, 'running');
    await agent.close();
    // Once more: still running, and the agent, which has it, is not sent it again.
    agent = await connectAgent(t.wsUrl, 'named', { protocol_version: 1, running });
    await agent.barrier();
    assert.equal(book.get(id)?.status, 'running');
    assert.deepEqual(agent.ofType('command'), []);
    await agent.close();
  } finally {
    await t.close();
  }
});

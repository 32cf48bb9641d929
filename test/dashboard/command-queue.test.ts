// Commands queued for hosts that are offline or busy are sent in order when the host can take them,
// survive a restart, can be cancelled and expire; running commands time out, so no host stays busy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { login, startTestDashboard, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, eventually, type Message } from '../helpers/sockets.js';

async function withDashboard(env: Record<string, string>, run: (t: TestDashboard, session: Session) => Promise<void>): Promise<void> {
  const t = await startTestDashboard(env);
  try {
    await run(t, await login(t.url));
  } finally {
    await t.close();
  }
}

async function request(t: TestDashboard, session: Session, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${t.url}${path}`, {
    method,
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const queue = (t: TestDashboard, session: Session, host: string, command: string) =>
  request(t, session, 'POST', `/api/hosts/${host}/command`, { command, queue: true });

/** Makes the host known (registered once), then takes its agent away. */
async function knownOfflineHost(t: TestDashboard, host: string): Promise<void> {
  const agent = await connectAgent(t.wsUrl, host);
  await agent.close();
}

const statusOf = (t: TestDashboard, id: unknown) => t.dashboard.context.hub.parts.commands.get(String(id))?.status;

test('a command queued for a disconnected host is stored as queued and sent, in order, when the host registers', async () => {
  await withDashboard({}, async (t, session) => {
    await knownOfflineHost(t, 'later-01');
    const browser = await connectBrowser(t.wsUrl, session);
    const refused = await request(t, session, 'POST', '/api/hosts/later-01/command', { command: 'pull' });
    assert.equal(refused.status, 409, 'without queue an offline host still refuses');
    const ids: unknown[] = [];
    for (const command of ['pull', 'switch', 'test']) {
      const { status, json } = await queue(t, session, 'later-01', command);
      assert.equal(status, 202);
      assert.equal(json.status, 'queued');
      ids.push(json.command_id);
    }
    const queued = await browser.next((m) => m.type === 'command_queued' && (m.payload.command as { id: string }).id === ids[0]);
    assert.equal((queued.payload.command as { status: string }).status, 'queued');
    assert.deepEqual(ids.map((id) => statusOf(t, id)), ['queued', 'queued', 'queued']);

    const agent = await connectAgent(t.wsUrl, 'later-01');
    const first = await agent.next('command');
    assert.deepEqual(first.payload, { command: 'pull', command_id: ids[0] });
    assert.equal(agent.ofType('command').length, 1, 'one at a time');
    agent.send('status', { status: 'ok', command: 'pull', command_id: ids[0], exit_code: 0 });
    const second = await agent.next('command');
    assert.deepEqual(second.payload, { command: 'switch', command_id: ids[1] });
    agent.send('status', { status: 'error', command: 'switch', command_id: ids[1], exit_code: 1 });
    const third = await agent.next('command');
    assert.deepEqual(third.payload, { command: 'test', command_id: ids[2] });
    await Promise.all([agent.close(), browser.close()]);
  });
});

test('queue:true on a busy host waits behind the running command', async () => {
  await withDashboard({}, async (t, session) => {
    const agent = await connectAgent(t.wsUrl, 'busy-later');
    const running = await request(t, session, 'POST', '/api/hosts/busy-later/command', { command: 'switch' });
    const waiting = await queue(t, session, 'busy-later', 'test');
    assert.equal(waiting.status, 202);
    await agent.next('command');
    assert.equal(statusOf(t, waiting.json.command_id), 'queued');
    agent.send('status', { status: 'ok', command: 'switch', command_id: running.json.command_id, exit_code: 0 });
    const next = await agent.next('command');
    assert.equal(next.payload.command_id, waiting.json.command_id);
    await agent.close();
  });
});

test('a queued command survives a dashboard restart and is sent when the host comes back', async () => {
  const t = await startTestDashboard();
  const session = await login(t.url);
  await knownOfflineHost(t, 'restart-later');
  const { json } = await queue(t, session, 'restart-later', 'update');
  await t.close();
  const again = await startTestDashboard({}, t.dataDir);
  try {
    assert.equal(statusOf(again, json.command_id), 'queued');
    const agent = await connectAgent(again.wsUrl, 'restart-later');
    const sent = await agent.next('command');
    assert.deepEqual(sent.payload, { command: 'update', command_id: json.command_id });
    assert.equal(statusOf(again, json.command_id), 'running');
    await agent.close();
  } finally {
    await again.close();
  }
});

test('DELETE /api/commands/:id cancels a queued command (never sent); a running one is 409, an unknown one 404', async () => {
  await withDashboard({}, async (t, session) => {
    await knownOfflineHost(t, 'cancel-01');
    const { json } = await queue(t, session, 'cancel-01', 'switch');
    const cancelled = await request(t, session, 'DELETE', `/api/commands/${json.command_id}`);
    assert.equal(cancelled.status, 200);
    assert.equal((cancelled.json.command as { status: string }).status, 'cancelled');
    const agent = await connectAgent(t.wsUrl, 'cancel-01');
    const { json: now } = await request(t, session, 'POST', '/api/hosts/cancel-01/command', { command: 'pull' });
    const sent = await agent.next('command');
    assert.equal(sent.payload.command_id, now.command_id, 'the cancelled switch was never sent');
    assert.equal((await request(t, session, 'DELETE', `/api/commands/${now.command_id}`)).status, 409);
    assert.equal((await request(t, session, 'DELETE', '/api/commands/nope')).status, 404);
    const noCsrf = await fetch(`${t.url}/api/commands/${now.command_id}`, { method: 'DELETE', headers: { cookie: session.cookie } });
    assert.equal(noCsrf.status, 403);
    await agent.close();
  });
});

test('a queued command expires after NIXFLEET_QUEUE_TTL', async () => {
  await withDashboard({ NIXFLEET_QUEUE_TTL: '300ms' }, async (t, session) => {
    await knownOfflineHost(t, 'expire-01');
    const browser = await connectBrowser(t.wsUrl, session);
    const { json } = await queue(t, session, 'expire-01', 'switch');
    const expired = await browser.next(
      (m: Message) => m.type === 'command_update' && (m.payload.command as { id: string; status: string }).id === json.command_id,
      3000,
    );
    assert.equal((expired.payload.command as { status: string }).status, 'expired');
    const agent = await connectAgent(t.wsUrl, 'expire-01');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(agent.ofType('command').length, 0);
    await Promise.all([agent.close(), browser.close()]);
  });
});

test('a command that never ends times out: the agent gets kill_command, the command ends timed_out, the host is free', async () => {
  await withDashboard({ NIXFLEET_COMMAND_TIMEOUTS: 'switch=400ms' }, async (t, session) => {
    const agent = await connectAgent(t.wsUrl, 'stuck-01');
    const { json } = await request(t, session, 'POST', '/api/hosts/stuck-01/command', { command: 'switch' });
    await agent.next('command');
    const kill = await agent.next('kill_command', 3000);
    assert.deepEqual(kill.payload, { signal: 'SIGTERM', pid: 0, command_id: json.command_id });
    await eventually(() => (statusOf(t, json.command_id) === 'timed_out' ? true : undefined), 2000, 'timed_out');
    assert.match(String(t.dashboard.context.hub.parts.commands.get(String(json.command_id))?.message), /no result within/);
    // A late status changes nothing; the host takes the next command.
    agent.send('status', { status: 'ok', command: 'switch', command_id: json.command_id, exit_code: 0 });
    const next = await request(t, session, 'POST', '/api/hosts/stuck-01/command', { command: 'pull' });
    assert.equal(next.status, 202);
    assert.equal(statusOf(t, json.command_id), 'timed_out');
    await agent.close();
  });
});

test('a running command whose agent never comes back times out too: the host cannot stay busy forever', async () => {
  await withDashboard({ NIXFLEET_COMMAND_TIMEOUTS: 'switch=400ms' }, async (t, session) => {
    const agent = await connectAgent(t.wsUrl, 'gone-01');
    const { json } = await request(t, session, 'POST', '/api/hosts/gone-01/command', { command: 'switch' });
    await agent.next('command');
    await agent.close();
    await eventually(() => (statusOf(t, json.command_id) === 'timed_out' ? true : undefined), 3000, 'timed_out');
    assert.equal(t.dashboard.context.hub.parts.commands.runningFor('gone-01'), undefined);
  });
});

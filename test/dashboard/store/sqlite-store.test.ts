// The SQLite store: writes gather into one transaction per tick on a writer thread, so a slow or
// locked database never holds up routing, and they catch up when the database answers again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { SqliteStore, DATABASE_FILE } from '../../../src/dashboard/store/sqlite/sqlite-store.js';
import type { CommandRecord } from '../../../src/dashboard/store/store.js';
import { login, sendCommand, startTestDashboard, tempDir } from '../../helpers/dashboard.js';
import { connectAgent, connectBrowser, eventually } from '../../helpers/sockets.js';

const silent = pino({ level: 'silent' });

function command(id: string): CommandRecord {
  return { id, host_id: 'h', command: 'switch', status: 'running', exit_code: null, message: '', created_at: Date.now(), started_at: Date.now(), finished_at: null, output_lines: 0, agent_seq_next: 0 };
}

test('a burst of writes within one tick becomes one transaction, and what was written reads back after reopening', async () => {
  const dir = tempDir();
  const store = new SqliteStore(dir, 20, silent);
  const record = command('c1');
  const durable: [string, number][] = [];
  store.onOutputDurable((id, seq) => durable.push([id, seq]));
  const before = store.health().batchesWritten;
  // The command row is written once; its output counters follow from the output itself.
  store.putCommand(record);
  for (let seq = 0; seq < 1000; seq++) {
    store.appendOutput('c1', [{ seq, stream: seq % 2 ? 'stderr' : 'stdout', line: `line ${seq}` }], seq + 1);
  }
  store.setMeta('version', '42');
  await store.flush();
  assert.equal(store.health().batchesWritten - before, 1);
  assert.deepEqual(durable, [['c1', 999]]);
  await store.close();

  const reopened = new SqliteStore(dir, 20, silent);
  const snapshot = await reopened.load(10, 10);
  assert.equal(snapshot.meta.get('version'), '42');
  assert.equal(snapshot.commands[0]?.output_lines, 1000);
  assert.equal(snapshot.commands[0]?.agent_seq_next, 1000);
  assert.equal((await reopened.readCommand('c1'))?.output_lines, 1000);
  const lines = await reopened.readOutput('c1', 998, 2000, 10);
  assert.deepEqual(lines, [
    { seq: 998, stream: 'stdout', line: 'line 998' },
    { seq: 999, stream: 'stderr', line: 'line 999' },
  ]);
  await reopened.close();
});

test('a database locked by someone else does not slow routing; health says so; writes catch up once it is free', async () => {
  const t = await startTestDashboard();
  const locker = new Database(path.join(t.dataDir, DATABASE_FILE));
  try {
    const session = await login(t.url);
    const agent = await connectAgent(t.wsUrl, 'locked-01');
    const browser = await connectBrowser(t.wsUrl, session);
    const { body } = await sendCommand(t.url, session, 'locked-01', 'switch');
    const id = String(body.command_id);
    await agent.next('command');
    await t.dashboard.context.store.flush();

    locker.exec('BEGIN EXCLUSIVE');
    const sentAt = performance.now();
    agent.send('output', { command_id: id, lines: Array.from({ length: 100 }, (_, seq) => ({ seq, stream: 'stdout', line: `while locked ${seq}` })) });
    const frame = await browser.next((m) => m.type === 'command_output' && m.payload.command_id === id);
    assert.ok(frame.receivedAt - sentAt < 100, `output took ${(frame.receivedAt - sentAt).toFixed(0)} ms with the database locked`);
    // Replay still has every line, from memory, while the disk cannot take them.
    browser.send('get_output', { command_id: id, from_seq: 0 });
    const replay = await browser.next((m) => m.type === 'command_output' && m.payload.command_id === id);
    assert.equal((replay.payload.lines as unknown[]).length, 100);

    await eventually(() => (t.dashboard.context.store.health().ok ? undefined : true), 10_000, 'storage reported failing');
    const health = await fetch(`${t.url}/health`);
    assert.equal(health.status, 503);
    assert.match(JSON.stringify(await health.json()), /storage writes failing/);

    locker.exec('COMMIT');
    await eventually(() => (t.dashboard.context.store.health().ok ? true : undefined), 10_000, 'storage recovered');
    assert.equal((await fetch(`${t.url}/health`)).status, 200);
    const stored = locker.prepare('SELECT count(*) AS n FROM output_lines WHERE command_id = ?').get(id) as { n: number };
    assert.equal(stored.n, 100);
    await Promise.all([agent.close(), browser.close()]);
  } finally {
    locker.close();
    await t.close();
  }
});

test('GET /health answers ok when the database answers and the hub runs', async () => {
  const t = await startTestDashboard();
  try {
    const response = await fetch(`${t.url}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok', instance: t.config.instanceId, storage: 'sqlite' });
  } finally {
    await t.close();
  }
});

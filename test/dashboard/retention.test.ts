// Events and output are kept for their retention periods, then purged; the command records stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { login, sendCommand, startTestDashboard } from '../helpers/dashboard.js';
import { connectAgent, eventually } from '../helpers/sockets.js';
import { DATABASE_FILE } from '../../src/dashboard/store/sqlite/sqlite-store.js';

test('output of finished commands and old events are purged after their retention; running output and records stay', async () => {
  const t = await startTestDashboard({ NIXFLEET_OUTPUT_RETENTION: '1s', NIXFLEET_EVENT_RETENTION: '2s' });
  const db = new Database(path.join(t.dataDir, DATABASE_FILE), { readonly: true });
  try {
    const session = await login(t.url);
    const agent = await connectAgent(t.wsUrl, 'retained');
    const finished = String((await sendCommand(t.url, session, 'retained', 'pull')).body.command_id);
    agent.send('output', { command_id: finished, lines: [{ seq: 0, stream: 'stdout', line: 'old output' }] });
    agent.send('status', { status: 'ok', command: 'pull', command_id: finished, exit_code: 0 });
    const running = String((await sendCommand(t.url, session, 'retained', 'switch')).body.command_id);
    agent.send('output', { command_id: running, lines: [{ seq: 0, stream: 'stdout', line: 'still running' }] });

    const lines = (id: string) => (db.prepare('SELECT count(*) AS n FROM output_lines WHERE command_id = ?').get(id) as { n: number }).n;
    const events = () => (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    await eventually(() => (lines(finished) === 1 && lines(running) === 1 ? true : undefined), 2000, 'lines stored');
    assert.ok(events() > 0);
    await eventually(() => (lines(finished) === 0 ? true : undefined), 5000, 'finished output purged');
    assert.equal(lines(running), 1, 'output of a running command stays');
    assert.ok(db.prepare('SELECT 1 FROM commands WHERE id = ?').get(finished), 'the command record stays');
    await eventually(() => (events() === 0 ? true : undefined), 6000, 'old events purged');
    await agent.close();
  } finally {
    db.close();
    await t.close();
  }
});

// A command the dashboard answered 202 for is on disk, and its host got it only once it was: a
// dashboard killed right after the answer comes back knowing the command its host runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { adminLogin, BENCH_TOKEN, dispatch, startDashboardProcess } from '../../bench/dashboard-process.js';
import { tempDir } from '../helpers/dashboard.js';
import { registerPayload, TestSocket } from '../helpers/sockets.js';

test('kill -9 right after 202: the command is stored as running, and the agent got it', async () => {
  const dataDir = tempDir();
  // Writes gather for two seconds, so a command answered before it is written would be lost here.
  const dashboard = await startDashboardProcess({ fromSource: true, dataDir, env: { NIXFLEET_STORE_FLUSH_INTERVAL: '2s' } });
  let agent: TestSocket | null = null;
  try {
    const session = await adminLogin(dashboard.url);
    agent = await TestSocket.connect(dashboard.wsUrl, { authorization: `Bearer ${BENCH_TOKEN}` });
    agent.send('register', registerPayload('kept-01', { protocol_version: 1, running: null }));
    await agent.next('registered');

    const id = await dispatch(dashboard.url, session, 'kept-01', 'switch');
    dashboard.child.kill('SIGKILL');
    assert.equal(await dashboard.exited, null, 'killed by the signal');

    const command = await agent.next((m) => m.type === 'command' && m.payload.command_id === id);
    assert.equal(command.payload.command, 'switch');
    const db = new Database(path.join(dataDir, 'nixfleet.sqlite'), { readonly: true });
    try {
      const row = db.prepare('SELECT host_id, command, status FROM commands WHERE id = ?').get(id);
      assert.deepEqual(row, { host_id: 'kept-01', command: 'switch', status: 'running' });
    } finally {
      db.close();
    }
  } finally {
    agent?.close();
    if (dashboard.child.exitCode === null && dashboard.child.signalCode === null) await dashboard.stop();
  }
});

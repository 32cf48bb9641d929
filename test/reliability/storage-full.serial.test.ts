// A full disk under the data dir: /health answers 503 and the log says so loudly, live output keeps
// flowing to browsers, the process stays up, and once there is room again every line is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { adminLogin, BENCH_TOKEN, dispatch, startDashboardProcess } from '../../bench/dashboard-process.js';
import { tempDir } from '../helpers/dashboard.js';
import { eventually, registerPayload, TestSocket } from '../helpers/sockets.js';

const SMALL = '3m';
const ROOMY = '256m';

/** Mounts a tmpfs of `size` at a new temp dir; null when this machine does not let us mount. */
function mountTmpfs(size: string): string | null {
  const dir = tempDir('nixfleet-full-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return null;
  }
}

test('a full disk: 503 and loud logs, live output goes on, and everything is written once there is room', async (t) => {
  const mount = mountTmpfs(SMALL);
  if (!mount) {
    t.skip('this machine does not allow mounting a tmpfs, which stands in for a full disk');
    return;
  }
  const dataDir = path.join(mount, 'data');
  fs.mkdirSync(dataDir);
  const dashboard = await startDashboardProcess({ fromSource: true, dataDir });
  try {
    const session = await adminLogin(dashboard.url);
    const agent = await TestSocket.connect(dashboard.wsUrl, { authorization: `Bearer ${BENCH_TOKEN}` });
    agent.send('register', registerPayload('full-disk', { protocol_version: 1, running: null }));
    await agent.next('registered');
    const browser = await TestSocket.connect(dashboard.wsUrl, { cookie: session.cookie });
    await browser.next('init');
    const id = await dispatch(dashboard.url, session, 'full-disk', 'switch');
    await agent.next('command');

    const received = () =>
      browser.messages.filter((m) => m.type === 'command_output').reduce((n, m) => n + (m.payload.lines as unknown[]).length, 0);
    let sent = 0;
    const send = (count: number) => {
      const lines = Array.from({ length: count }, () => ({ seq: sent, stream: 'stdout', line: `${sent++} ${'x'.repeat(1000)}` }));
      agent.send('output', { command_id: id, lines });
    };
    // About 8 MB of output into a 3 MB disk.
    for (let i = 0; i < 80; i++) {
      send(100);
      await new Promise((r) => setTimeout(r, 5));
    }
    await eventually(() => (received() === sent ? true : undefined), 20_000, 'every line live at the browser');
    let status = 0;
    let body = '';
    for (let i = 0; i < 100 && status !== 503; i++) {
      const response = await fetch(`${dashboard.url}/health`);
      status = response.status;
      body = await response.text();
      if (status !== 503) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 503);
    assert.match(body, /storage writes failing/);
    assert.match(dashboard.logText(), /"level":50.*storage writes are failing/);

    // Still routing while the disk is full.
    send(50);
    await eventually(() => (received() === sent ? true : undefined), 10_000, 'lines while the disk is full');

    execFileSync('mount', ['-o', `remount,size=${ROOMY}`, mount]);
    for (let i = 0; i < 100 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await fetch(`${dashboard.url}/health`)).status;
    }
    assert.equal(status, 200, 'healthy again once there is room');
    const output = await fetch(`${dashboard.url}/api/commands/${id}/output?limit=100000`, { headers: { cookie: session.cookie } });
    const { lines } = (await output.json()) as { lines: { seq: number }[] };
    assert.equal(lines.length, sent);
    assert.equal(dashboard.child.exitCode, null, 'the dashboard never went down');
    await Promise.all([agent.close(), browser.close()]);
    assert.equal(await dashboard.stop(), 0);
    // Everything is on disk, not only in memory.
    const db = new Database(path.join(dataDir, 'nixfleet.sqlite'), { readonly: true });
    const stored = db.prepare('SELECT count(*) AS n FROM output_lines WHERE command_id = ?').get(id) as { n: number };
    db.close();
    assert.equal(stored.n, sent);
  } finally {
    await dashboard.stop();
    execFileSync('umount', ['-l', mount]);
  }
});

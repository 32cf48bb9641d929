// One dashboard per data directory: a second one refuses to start, naming the first; the lock is the
// kernel's, so a dashboard killed with SIGKILL leaves nothing that blocks the next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../src/dashboard/data-dir-lock.js';
import { tempDir } from '../helpers/dashboard.js';
import { builtScriptArgs } from '../helpers/built-program.js';
import { runProgram, startProgram, START_TIMEOUT_MS, type RunningProgram } from './support/dashboard-program.js';

const EXIT_DATA_DIR_IN_USE = 3;

function dashboardEnv(dataDir: string): Record<string, string> {
  return { NIXFLEET_LISTEN: '127.0.0.1:0', NIXFLEET_DATA_DIR: dataDir, NIXFLEET_PASSWORD: 'pw' };
}

/** A process holding `dataDir` (support/hold-data-dir.ts), once it said whether it got it. */
async function holder(dataDir: string): Promise<{ child: ChildProcess; said: string; killed: () => Promise<void> }> {
  const child = spawn(process.execPath, builtScriptArgs('test/dashboard/support/hold-data-dir.ts', dataDir), { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const said = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the holder said nothing: ${out}`)), START_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve(out.trim());
    });
  });
  return {
    child,
    said,
    killed: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

test('a second dashboard (or a migration) on the same data directory exits 3 with one line naming the directory and the first one; the first serves on', async () => {
  const dataDir = tempDir();
  const first = await startProgram(dashboardEnv(dataDir));
  try {
    const second = await runProgram([], { env: dashboardEnv(dataDir) });
    assert.equal(second.code, EXIT_DATA_DIR_IN_USE, second.stdout + second.stderr);
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, second.stderr);
    assert.match(lines[0] ?? '', new RegExp(`data directory ${dataDir} is in use by another dashboard \\(pid ${first.child.pid}\\)`));
    assert.match(lines[0] ?? '', /NIXFLEET_DATA_DIR/, 'it says what to do about it');
    assert.doesNotMatch(second.stdout, /listening|admin password/);

    // Copying the database to PostgreSQL takes the same lock: not while a dashboard writes into it.
    const migrate = await runProgram(['migrate-to-postgres'], { env: { ...dashboardEnv(dataDir), NIXFLEET_DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' } });
    assert.equal(migrate.code, EXIT_DATA_DIR_IN_USE, migrate.stderr);
    assert.match(migrate.stderr, /is in use by another dashboard/);
    assert.equal((await fetch(`${first.url}/health`)).status, 200);
  } finally {
    assert.equal(await first.stop(), 0);
  }
});

test('two dashboards started at the same moment on one fresh directory: exactly one serves', async () => {
  const dataDir = tempDir();
  const outcomes = await Promise.allSettled([startProgram(dashboardEnv(dataDir)), startProgram(dashboardEnv(dataDir))]);
  const serving = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
  try {
    assert.equal(serving.length, 1, refused.join('\n'));
    assert.equal(refused.length, 1);
    assert.match(refused[0] ?? '', new RegExp(`exited with ${EXIT_DATA_DIR_IN_USE} before listening`));
    assert.match(refused[0] ?? '', /is in use by another dashboard/);
  } finally {
    await Promise.all(serving.map((program: RunningProgram) => program.stop()));
  }
});

test('a dashboard killed with SIGKILL leaves no lock behind: the next start on its directory serves at once', async () => {
  const dataDir = tempDir();
  const killed = await startProgram(dashboardEnv(dataDir));
  killed.child.kill('SIGKILL');
  assert.equal(await killed.exited, null, 'killed by the signal');
  assert.ok(fs.existsSync(path.join(dataDir, LOCK_FILE)), 'the lock file itself stays');

  const next = await startProgram(dashboardEnv(dataDir));
  try {
    assert.equal((await fetch(`${next.url}/health`)).status, 200);
  } finally {
    assert.equal(await next.stop(), 0);
  }
});

test('lockDataDir: refused with the holder pid while another process has the directory, taken once that process is gone', async () => {
  const dataDir = tempDir();
  const other = await holder(dataDir);
  assert.equal(other.said, 'held');
  assert.throws(
    () => lockDataDir(dataDir),
    (err: unknown) => err instanceof DataDirInUseError && err.code === 'data_dir_in_use' && err.holderPid === other.child.pid,
  );
  await other.killed();

  lockDataDir(dataDir);
  lockDataDir(dataDir); // this process has it already: a restart in the same process goes on
  const late = await holder(dataDir);
  assert.equal(late.said, `in use by ${process.pid}`);
});

test('a lock file that a power loss left unreadable is taken over, and then holds', async () => {
  const dataDir = tempDir();
  fs.writeFileSync(path.join(dataDir, LOCK_FILE), Buffer.alloc(4096, 0xab));
  lockDataDir(dataDir);
  const late = await holder(dataDir);
  assert.equal(late.said, `in use by ${process.pid}`);
});

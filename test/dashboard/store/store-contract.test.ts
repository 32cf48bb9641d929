// One specification, both backends: what is written comes back after a reopen, in the same shape,
// whether the dashboard stores into SQLite or PostgreSQL.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { tempDir } from '../../helpers/dashboard.js';
import { testDatabase } from '../../helpers/cluster-servers.js';
import { openStore } from '../../../src/dashboard/store/open-store.js';
import type { CommandRecord, HostRecord, Store } from '../../../src/dashboard/store/store.js';
import type { Rollout } from '../../../src/protocol/rollout.js';
import { newHostRecord } from '../../../src/dashboard/fleet/host-record.js';

const silent = pino({ level: 'silent' });
type Backend = { name: string; settings(t: TestContext): Promise<{ databaseUrl: string | undefined; dataDir: string } | null> };

const BACKENDS: Backend[] = [
  { name: 'SQLite', settings: async () => ({ databaseUrl: undefined, dataDir: tempDir() }) },
  {
    name: 'PostgreSQL',
    settings: async (t) => {
      const database = await testDatabase(t);
      return database && { databaseUrl: database.url, dataDir: tempDir() };
    },
  },
];

const T0 = 1_764_000_000_000;

function command(id: string, overrides: Partial<CommandRecord> = {}): CommandRecord {
  return { id, host_id: 'web-01', command: 'switch', status: 'running', exit_code: null, message: '', created_at: T0, started_at: T0, finished_at: null, output_lines: 0, agent_seq_next: 0, ...overrides };
}

function host(id: string): HostRecord {
  return { ...newHostRecord(id), last_seen: T0, agent_version: '0.2.0', metrics: { cpu: 1, ram: 2, swap: 0, load: 0.5 }, location: 'rack "1" ✓', protocol_version: 1, repo_commit: 'a'.repeat(40), tags: ['web'] };
}

function rollout(id: string, createdAt: number, status: Rollout['status']): Rollout {
  return {
    id,
    status,
    steps: ['pull'],
    preset: null,
    target: '1 host',
    strategy: { canary: [], batch_size: 1, max_failures: 0, rollback_on_failure: false, offline: 'skip' },
    hosts: [{ host_id: 'web-01', canary: false, state: 'pending', steps: [{ command: 'pull', state: 'pending', command_id: null, message: '' }], rollback: null }],
    failures: 0,
    created_by: 'test',
    created_at: new Date(createdAt).toISOString(),
    started_at: null,
    finished_at: null,
    message: '',
    revision: 1,
  };
}

for (const backend of BACKENDS) {
  test(`${backend.name}: every kind of record comes back after a reopen, and output replays from any seq`, async (t) => {
    const settings = await backend.settings(t);
    if (!settings) return;
    const open = () => openStore({ ...settings, storeFlushIntervalMs: 5 }, silent);
    let store: Store = await open();
    t.after(() => store.close());
    store.putHost(host('web-01'));
    store.putHost(host('gone-01'));
    const running = command('c-running');
    store.putCommand(running);
    store.putCommand(command('c-done', { status: 'succeeded', finished_at: T0 + 5, message: 'switched "ok"' }));
    store.putCommand(command('c-lost', { status: 'lost', finished_at: T0 + 6 }));
    // Two batches of output: chunks, read back across their border.
    store.appendOutput('c-running', Array.from({ length: 5 }, (_, i) => ({ seq: i, stream: 'stdout' as const, line: `line ${i}` })), 5);
    await store.flush();
    store.appendOutput('c-running', [{ seq: 5, stream: 'stderr', line: 'warning: 5 ✓' }], 7);
    store.putSession({ id_hash: 's1', csrf_token: 'csrf', created_at: T0, expires_at: Date.now() + 60_000, address: '127.0.0.1' });
    store.putSession({ id_hash: 's-old', csrf_token: 'x', created_at: T0, expires_at: Date.now() - 1, address: '127.0.0.1' });
    store.putHostToken({ host_id: 'web-01', token_hash: 'h'.repeat(64), created_at: T0 });
    store.putEvent({ id: 1, at: T0, level: 'info', host_id: 'web-01', message: 'registered' });
    store.putEvent({ id: 2, at: T0 + 1, level: 'warn', host_id: null, message: 'fleet-wide' });
    store.putRollout(rollout('r-old', T0, 'succeeded'));
    store.putRollout(rollout('r-new', T0 + 10, 'running'));
    store.setMeta('version', '42');
    store.deleteHost('gone-01');
    await store.flush();
    assert.equal(store.health().ok, true);
    await store.close();

    store = await open();
    const snapshot = await store.load(10, 10);
    assert.equal(snapshot.meta.get('version'), '42');
    assert.deepEqual(snapshot.hosts.map((h) => h.id), ['web-01']);
    assert.deepEqual(snapshot.hosts[0], host('web-01'));
    assert.deepEqual(snapshot.commands.map((c) => c.id).sort(), ['c-done', 'c-lost', 'c-running']);
    const reloaded = snapshot.commands.find((c) => c.id === 'c-running');
    assert.equal(reloaded?.output_lines, 6, 'counters follow from the stored output');
    assert.equal(reloaded?.agent_seq_next, 7);
    assert.equal(snapshot.commands.find((c) => c.id === 'c-done')?.message, 'switched "ok"');
    assert.deepEqual(snapshot.sessions.map((s) => s.id_hash), ['s1'], 'expired sessions are not loaded');
    assert.deepEqual(snapshot.hostTokens.map((h) => h.host_id), ['web-01']);
    assert.equal(snapshot.lastEventId, 2);
    assert.deepEqual(snapshot.rollouts.map((r) => r.id), ['r-new', 'r-old'], 'unfinished first, then the recent others');
    assert.deepEqual(await store.readOutput('c-running', 3, 100, 10), [
      { seq: 3, stream: 'stdout', line: 'line 3' },
      { seq: 4, stream: 'stdout', line: 'line 4' },
      { seq: 5, stream: 'stderr', line: 'warning: 5 ✓' },
    ]);
    assert.deepEqual((await store.readOutput('c-running', 0, 6, 2)).map((l) => l.seq), [0, 1], 'at most the limit');
    assert.equal((await store.readCommand('c-running'))?.output_lines, 6);
    assert.equal(await store.readCommand('nope'), undefined);
    assert.deepEqual((await store.readEvents('web-01', 10)).map((e) => e.message), ['registered']);
    assert.deepEqual((await store.readEvents(null, 10)).map((e) => e.id), [2, 1], 'newest first');
    assert.deepEqual((await store.readRollouts(1)).map((r) => r.id), ['r-new']);
    const newest = (await store.readRollouts(1))[0];
    assert.ok(newest);
    assert.deepEqual((await store.readRollouts(10, newest)).map((r) => r.id), ['r-old'], 'the page after the newest');
    assert.equal((await store.readRollout('r-old'))?.status, 'succeeded');
    assert.equal(await store.ping(), true);
  });

  test(`${backend.name}: later writes of a record win, deletes and retention purge apply`, async (t) => {
    const settings = await backend.settings(t);
    if (!settings) return;
    const store = await openStore({ ...settings, storeFlushIntervalMs: 5 }, silent);
    t.after(() => store.close());
    const record = command('c1');
    store.putCommand(record);
    store.appendOutput('c1', [{ seq: 0, stream: 'stdout', line: 'only line' }], 0);
    record.status = 'failed';
    record.finished_at = T0 + 1;
    store.putCommand(record);
    store.putSession({ id_hash: 's1', csrf_token: 'csrf', created_at: T0, expires_at: Date.now() + 60_000, address: 'a' });
    await store.flush();
    const ended = await store.readCommand('c1');
    assert.equal(ended?.status, 'failed', 'the record as it was when the batch was taken');
    store.deleteSession('s1');
    store.putEvent({ id: 10, at: T0, level: 'info', host_id: null, message: 'old' });
    store.putEvent({ id: 11, at: T0 + 100_000, level: 'info', host_id: null, message: 'new' });
    await store.flush();
    store.purge(T0 + 50_000, T0 + 50_000);
    let durable = false;
    store.afterDurable(() => (durable = true));
    await store.flush();
    assert.equal(durable, true);
    assert.deepEqual((await store.readEvents(null, 10)).map((e) => e.message), ['new']);
    assert.deepEqual(await store.readOutput('c1', 0, 10, 10), [], 'output of a command finished before the cut is gone');
    assert.equal((await store.readCommand('c1'))?.status, 'failed', 'the command record stays');
    assert.deepEqual((await store.load(10, 10)).sessions, []);
  });
}

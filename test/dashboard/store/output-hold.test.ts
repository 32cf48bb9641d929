// A command's output lines wait to share a stored chunk: many commands streaming a few lines a tick
// cost one index entry per chunk, not one per command per tick. Whoever names the command to
// afterDurable waits for its lines; a write of the command's record takes its lines along; nothing
// waits longer than OUTPUT_HOLD_MS (plus a tick) for the disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { SqliteStore, DATABASE_FILE } from '../../../src/dashboard/store/sqlite/sqlite-store.js';
import { OUTPUT_CHUNK_LINES, OUTPUT_HOLD_MS } from '../../../src/dashboard/store/batching-store.js';
import type { CommandRecord } from '../../../src/dashboard/store/store.js';
import { tempDir } from '../../helpers/dashboard.js';

const silent = pino({ level: 'silent' });
const TICK_MS = 10;

function command(id: string): CommandRecord {
  return { id, host_id: 'h', command: 'switch', status: 'running', exit_code: null, message: '', created_at: Date.now(), started_at: Date.now(), finished_at: null, output_lines: 0, agent_seq_next: 0 };
}

function openStore(): { store: SqliteStore; chunks: (commandId: string) => number[]; close: () => Promise<void> } {
  const dir = tempDir();
  const store = new SqliteStore(dir, TICK_MS, silent);
  const reader = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
  const statement = reader.prepare('SELECT line_count FROM output_chunks WHERE command_id = ? ORDER BY first_seq');
  return {
    store,
    chunks: (commandId) => (statement.all(commandId) as { line_count: number }[]).map((row) => row.line_count),
    close: async () => {
      await store.close();
      reader.close();
    },
  };
}

function durable(store: SqliteStore, outputOf?: string[]): Promise<number> {
  const since = performance.now();
  return new Promise((resolve) => store.afterDurable(() => resolve(performance.now() - since), outputOf));
}

function ticks(count: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, count * TICK_MS));
}

test('lines arriving over many ticks are stored as one chunk once the oldest has waited its time', async (t) => {
  const { store, chunks, close } = openStore();
  t.after(close);
  const record = command('c1');
  store.putCommand(record);
  await store.flush();
  const stored: number[] = [];
  store.onOutputDurable((id, seq) => stored.push(seq));
  // A line every tick, as a slow build prints: fewer than a chunk's worth within the hold.
  const lines = Math.min(OUTPUT_CHUNK_LINES - 1, 10);
  for (let seq = 0; seq < lines; seq++) {
    store.appendOutput('c1', [{ seq, stream: 'stdout', line: `line ${seq}` }], seq + 1);
    await ticks(1);
  }
  // Other writes keep going through every tick meanwhile, without the held lines.
  store.setMeta('probe', 'x');
  await durable(store);
  if (stored.length === 0) assert.deepEqual(chunks('c1'), [], 'the held lines are not in the database yet');
  // Then, without anyone asking, the lines go to disk together once they have waited long enough.
  while (stored.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(stored, [lines - 1]);
  assert.deepEqual(chunks('c1'), [lines], 'one chunk, not one per tick');
  assert.deepEqual(
    (await store.readOutput('c1', 0, 100, 100)).map((line) => line.line),
    Array.from({ length: lines }, (_, seq) => `line ${seq}`),
  );
});

test('a barrier that names the command waits for its held lines; one that does not, does not', async (t) => {
  const { store, chunks, close } = openStore();
  t.after(close);
  store.putCommand(command('c1'));
  store.putCommand(command('c2'));
  await store.flush();
  store.appendOutput('c1', [{ seq: 0, stream: 'stdout', line: 'one' }], 1);
  store.appendOutput('c2', [{ seq: 0, stream: 'stdout', line: 'two' }], 1);
  const named = durable(store, ['c1']);
  const unnamedWaited = await durable(store);
  // The unnamed barrier was answered while the lines were still held (their hold is far longer than a
  // tick; on a machine so loaded that a tick took the whole hold, there is nothing to see).
  if (unnamedWaited < OUTPUT_HOLD_MS * 0.8) assert.deepEqual(chunks('c1'), []);
  const waited = await named;
  assert.deepEqual(chunks('c1'), [1], 'the named command’s lines are on disk when its barrier is answered');
  assert.ok(waited >= OUTPUT_HOLD_MS * 0.9, `the named barrier waited for the hold (${waited.toFixed(0)} ms)`);
  // c2 was held with c1 and goes in the same batch: it was due at the same moment.
  assert.deepEqual(chunks('c2'), [1]);
});

test('a write of the command record takes its held lines along; a full chunk goes at the next tick; flush takes everything', async (t) => {
  const { store, chunks, close } = openStore();
  t.after(close);
  const finished = command('done');
  const busy = command('busy');
  const quiet = command('quiet');
  for (const record of [finished, busy, quiet]) store.putCommand(record);
  await store.flush();

  store.appendOutput('done', [{ seq: 0, stream: 'stdout', line: 'last words' }], 1);
  finished.status = 'succeeded';
  finished.output_lines = 1;
  store.putCommand(finished);
  const full = Array.from({ length: OUTPUT_CHUNK_LINES }, (_, seq) => ({ seq, stream: 'stdout' as const, line: `l${seq}` }));
  store.appendOutput('busy', full, OUTPUT_CHUNK_LINES);
  store.appendOutput('quiet', [{ seq: 0, stream: 'stdout', line: 'q' }], 1);
  const waited = await durable(store, ['done', 'busy']);
  assert.deepEqual(chunks('done'), [1], 'a finished command’s lines are stored with its final status');
  assert.deepEqual(chunks('busy'), [OUTPUT_CHUNK_LINES]);
  // They went at the next tick, not after the hold: the line of `quiet`, held as long, is still waiting.
  if (waited < OUTPUT_HOLD_MS * 0.8) assert.deepEqual(chunks('quiet'), [], 'a command with a line or two keeps waiting');

  await store.flush();
  assert.deepEqual(chunks('quiet'), [1], 'flush (and so shutdown) writes what was held');
});

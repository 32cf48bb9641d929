// Migrations carry a database forward with its data; a database newer than the program is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { migrate, openDatabase } from '../../../src/dashboard/store/sqlite/schema.js';
import { DATABASE_FILE, SqliteStore } from '../../../src/dashboard/store/sqlite/sqlite-store.js';
import { tempDir } from '../../helpers/dashboard.js';

test('output stored one line a row (schema 2) reads back the same after the move to chunks', async () => {
  const dir = tempDir();
  const db = openDatabase(path.join(dir, DATABASE_FILE));
  assert.equal(migrate(db, 2), 2);
  const insert = db.prepare('INSERT INTO output_lines (command_id, seq, stream, line) VALUES (?, ?, ?, ?)');
  for (let seq = 0; seq < 5; seq++) insert.run('old-command', seq, seq % 2, `old line ${seq} "quoted" ✓`);
  db.close();

  const store = new SqliteStore(dir, 10, pino({ level: 'silent' }));
  assert.deepEqual(await store.readOutput('old-command', 1, 4, 10), [
    { seq: 1, stream: 'stderr', line: 'old line 1 "quoted" ✓' },
    { seq: 2, stream: 'stdout', line: 'old line 2 "quoted" ✓' },
    { seq: 3, stream: 'stderr', line: 'old line 3 "quoted" ✓' },
  ]);
  store.appendOutput('old-command', [{ seq: 5, stream: 'stdout', line: 'new line 5' }], 0);
  await store.flush();
  assert.deepEqual((await store.readOutput('old-command', 4, 100, 10)).map((l) => l.line), ['old line 4 "quoted" ✓', 'new line 5']);
  await store.close();
  const reopened = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
  const viaView = reopened.prepare('SELECT seq, line FROM output_lines WHERE command_id = ? ORDER BY seq').all('old-command') as { seq: number }[];
  assert.deepEqual(viaView.map((r) => r.seq), [0, 1, 2, 3, 4, 5]);
  reopened.close();
});

test('a database from a newer dashboard is refused, not opened', () => {
  const db = openDatabase(path.join(tempDir(), DATABASE_FILE));
  db.pragma('user_version = 999');
  assert.throws(() => migrate(db), /newer than this dashboard knows/);
  db.close();
});

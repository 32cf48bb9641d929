// Moves an installation from the embedded SQLite database to PostgreSQL: every table, row for row, in
// one PostgreSQL transaction. The dashboard must be stopped (the SQLite file is read as it is); the
// target must be empty, so that running it twice cannot mix two histories.
import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { migrate } from './postgres/schema.js';
import { DATABASE_FILE } from './sqlite/sqlite-store.js';
import { migrate as migrateSqlite } from './sqlite/schema.js';

/** Rows copied per statement. */
const ROWS_PER_INSERT = 1_000;

/** The tables in the order they are copied, with their columns (the same in both schemas). */
const TABLES: readonly { name: string; columns: readonly string[]; types: readonly string[] }[] = [
  { name: 'meta', columns: ['key', 'value'], types: ['text', 'text'] },
  { name: 'hosts', columns: ['id', 'data'], types: ['text', 'text'] },
  {
    name: 'commands',
    columns: ['id', 'host_id', 'command', 'status', 'exit_code', 'message', 'created_at', 'started_at', 'finished_at', 'output_lines', 'agent_seq_next'],
    types: ['text', 'text', 'text', 'text', 'int', 'text', 'bigint', 'bigint', 'bigint', 'int', 'int'],
  },
  { name: 'output_chunks', columns: ['command_id', 'first_seq', 'line_count', 'agent_seq_end', 'data'], types: ['text', 'int', 'int', 'int', 'text'] },
  { name: 'sessions', columns: ['id_hash', 'csrf_token', 'created_at', 'expires_at', 'address'], types: ['text', 'text', 'bigint', 'bigint', 'text'] },
  { name: 'events', columns: ['id', 'at', 'level', 'host_id', 'message'], types: ['bigint', 'bigint', 'text', 'text', 'text'] },
  { name: 'host_tokens', columns: ['host_id', 'token_hash', 'created_at'], types: ['text', 'text', 'bigint'] },
  { name: 'rollouts', columns: ['id', 'created_at', 'status', 'data'], types: ['text', 'bigint', 'text', 'text'] },
  {
    name: 'api_tokens',
    columns: ['id', 'name', 'scope', 'token_hash', 'created_at', 'created_by', 'last_used_at'],
    types: ['text', 'text', 'text', 'text', 'bigint', 'text', 'bigint'],
  },
];

export class MigrationError extends Error {
  readonly code = 'migration_refused';
}

/** Copies the data dir's SQLite database into the (empty) PostgreSQL database; returns rows per table. */
export async function migrateToPostgres(dataDir: string, databaseUrl: string): Promise<Record<string, number>> {
  const file = path.join(dataDir, DATABASE_FILE);
  if (!fs.existsSync(file)) throw new MigrationError(`no SQLite database at ${file}`);
  // Brought to the newest schema first (a dashboard of an older version may have left it behind).
  const sqlite = new Database(file);
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    migrateSqlite(sqlite);
    await client.connect();
    await migrate(client);
    const { rows } = await client.query<{ n: string }>('SELECT (SELECT count(*) FROM hosts) + (SELECT count(*) FROM commands) + (SELECT count(*) FROM events) AS n');
    if (Number(rows[0]?.n ?? 0) > 0) throw new MigrationError('the PostgreSQL database already holds hosts, commands or events: migrate into an empty one');
    const copied: Record<string, number> = {};
    await client.query('BEGIN');
    try {
      for (const table of TABLES) copied[table.name] = await copyTable(sqlite, client, table);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    }
    return copied;
  } finally {
    sqlite.close();
    await client.end().catch(() => undefined);
  }
}

async function copyTable(sqlite: Database.Database, client: pg.Client, table: (typeof TABLES)[number]): Promise<number> {
  const list = table.columns.join(', ');
  const unnest = table.types.map((type, i) => `$${i + 1}::${type}[]`).join(', ');
  const insert = `INSERT INTO ${table.name} (${list}) SELECT * FROM unnest(${unnest})`;
  let count = 0;
  let rows: unknown[][] = [];
  const flush = async () => {
    if (rows.length === 0) return;
    const columns = table.columns.map((_, c) => rows.map((row) => row[c]));
    await client.query(insert, columns);
    count += rows.length;
    rows = [];
  };
  // iterate() reads row by row: a large output table is never all in memory.
  const order = table.name === 'output_chunks' ? ' ORDER BY id' : '';
  for (const row of sqlite.prepare(`SELECT ${list} FROM ${table.name}${order}`).raw().iterate() as Iterable<unknown[]>) {
    rows.push(row);
    if (rows.length >= ROWS_PER_INSERT) await flush();
  }
  await flush();
  return count;
}

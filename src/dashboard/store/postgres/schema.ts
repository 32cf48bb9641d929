// The PostgreSQL schema: the same tables as the SQLite backend, with epoch-millisecond times as
// bigint. Migrations only ever append; instances that start together migrate once, under an
// advisory lock, and a dashboard older than the schema refuses to start.
import type pg from 'pg';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE hosts (id TEXT PRIMARY KEY, data TEXT NOT NULL);
   CREATE TABLE commands (
     id TEXT PRIMARY KEY,
     host_id TEXT NOT NULL,
     command TEXT NOT NULL,
     status TEXT NOT NULL,
     exit_code INTEGER,
     message TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     started_at BIGINT,
     finished_at BIGINT,
     output_lines INTEGER NOT NULL,
     agent_seq_next INTEGER NOT NULL
   );
   CREATE INDEX commands_by_created ON commands (created_at);
   CREATE INDEX commands_by_status ON commands (status);
   CREATE INDEX commands_by_host ON commands (host_id, created_at);
   CREATE TABLE output_chunks (
     id BIGSERIAL PRIMARY KEY,
     command_id TEXT NOT NULL,
     first_seq INTEGER NOT NULL,
     line_count INTEGER NOT NULL,
     agent_seq_end INTEGER NOT NULL,
     data TEXT NOT NULL
   );
   CREATE UNIQUE INDEX output_chunks_by_command ON output_chunks (command_id, first_seq);
   CREATE TABLE sessions (
     id_hash TEXT PRIMARY KEY,
     csrf_token TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     address TEXT NOT NULL
   );
   CREATE TABLE events (
     id BIGINT PRIMARY KEY,
     at BIGINT NOT NULL,
     level TEXT NOT NULL,
     host_id TEXT,
     message TEXT NOT NULL
   );
   CREATE INDEX events_by_host ON events (host_id, id);
   CREATE INDEX events_by_at ON events (at);
   CREATE TABLE host_tokens (
     host_id TEXT PRIMARY KEY,
     token_hash TEXT NOT NULL UNIQUE,
     created_at BIGINT NOT NULL
   );
   CREATE TABLE rollouts (
     id TEXT PRIMARY KEY,
     created_at BIGINT NOT NULL,
     status TEXT NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX rollouts_by_created ON rollouts (created_at);
   CREATE INDEX rollouts_by_status ON rollouts (status);`,
  `CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     scope TEXT NOT NULL,
     token_hash TEXT NOT NULL UNIQUE,
     created_at BIGINT NOT NULL,
     created_by TEXT NOT NULL,
     last_used_at BIGINT
   );`,
];

/** The version a database has once every migration ran. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Any number both sides agree on; it names the lock that serializes migrations. */
const MIGRATION_LOCK_KEY = 0x6e697866; // "nixf"

/**
 * Brings the schema up to date (or to `target`, for tests). Runs under a session-level advisory lock,
 * so instances starting together migrate once and the others wait; each step is its own transaction.
 * Returns the version now in the database.
 */
export async function migrate(client: pg.ClientBase, target = MIGRATIONS.length): Promise<number> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS nixfleet_schema (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM nixfleet_schema');
    const current = rows[0]?.version ?? 0;
    if (rows.length === 0) await client.query('INSERT INTO nixfleet_schema (version) VALUES (0)');
    if (current > MIGRATIONS.length) {
      throw new Error(`database schema ${current} is newer than this dashboard knows (${MIGRATIONS.length})`);
    }
    for (let version = current; version < target; version++) {
      await client.query('BEGIN');
      try {
        await client.query(MIGRATIONS[version] ?? '');
        await client.query('UPDATE nixfleet_schema SET version = $1', [version + 1]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
    return Math.max(current, target);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}

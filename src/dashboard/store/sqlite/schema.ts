// The SQLite schema and how a database file is opened. Migrations only ever append.
import Database from 'better-sqlite3';

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
     created_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER,
     output_lines INTEGER NOT NULL,
     agent_seq_next INTEGER NOT NULL
   );
   CREATE INDEX commands_by_created ON commands (created_at);
   CREATE INDEX commands_by_status ON commands (status);
   CREATE INDEX commands_by_host ON commands (host_id, created_at);
   CREATE TABLE output_lines (
     command_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     stream INTEGER NOT NULL,
     line TEXT NOT NULL,
     PRIMARY KEY (command_id, seq)
   ) WITHOUT ROWID;
   CREATE TABLE sessions (
     id_hash TEXT PRIMARY KEY,
     csrf_token TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     address TEXT NOT NULL
   );
   CREATE TABLE events (
     id INTEGER PRIMARY KEY,
     at INTEGER NOT NULL,
     level TEXT NOT NULL,
     host_id TEXT,
     message TEXT NOT NULL
   );
   CREATE INDEX events_by_host ON events (host_id, id);`,
  `CREATE TABLE host_tokens (
     host_id TEXT PRIMARY KEY,
     token_hash TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL
   );`,
  // Output is stored in chunks: the lines of one command that arrived in one write batch, as a JSON
  // array of [stream, line] (stream 0 stdout, 1 stderr), numbered from first_seq. One row per command
  // and batch instead of one per line cuts the writer's work several times over at 15,000 lines/s.
  // agent_seq_end is the v1 agent's next seq after the chunk, so that the command row need not be
  // rewritten with every batch to remember it. Chunks are appended in arrival order (rowid) with a
  // small index to find a command's: three times cheaper than keeping the rows themselves ordered by
  // command, where every batch lands on as many pages as commands streamed. The view output_lines
  // shows one line a row, as before.
  `CREATE TABLE output_chunks (
     id INTEGER PRIMARY KEY,
     command_id TEXT NOT NULL,
     first_seq INTEGER NOT NULL,
     line_count INTEGER NOT NULL,
     agent_seq_end INTEGER NOT NULL,
     data TEXT NOT NULL
   );
   CREATE UNIQUE INDEX output_chunks_by_command ON output_chunks (command_id, first_seq);
   INSERT INTO output_chunks (command_id, first_seq, line_count, agent_seq_end, data)
     SELECT command_id, seq, 1, 0, json_array(json_array(stream, line)) FROM output_lines;
   DROP TABLE output_lines;
   CREATE VIEW output_lines AS
     SELECT c.command_id AS command_id, c.first_seq + j.key AS seq,
            json_extract(j.value, '$[0]') AS stream, json_extract(j.value, '$[1]') AS line
     FROM output_chunks c, json_each(c.data) j;`,
  // A rollout is one JSON document (its hosts and steps); status and created_at are columns to find
  // the unfinished ones at start and list the recent ones.
  `CREATE TABLE rollouts (
     id TEXT PRIMARY KEY,
     created_at INTEGER NOT NULL,
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
     created_at INTEGER NOT NULL,
     created_by TEXT NOT NULL,
     last_used_at INTEGER
   );`,
];

const BUSY_TIMEOUT_MS = 5_000;

/** Opens the database with the settings both the reader and the writer rely on. */
export function openDatabase(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // WAL with NORMAL survives a process crash with every committed transaction; only an OS crash or
  // power loss can take back the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return db;
}

/** Brings the schema up to date (or to `target`, for tests of a migration); returns the version now in the file. */
export function migrate(db: Database.Database, target = MIGRATIONS.length): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema ${current} is newer than this dashboard knows (${MIGRATIONS.length})`);
  }
  for (let version = current; version < target; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] ?? '');
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return Math.max(current, target);
}

// How the SQLite backend applies a batch: prepared statements, one transaction per batch.
import type Database from 'better-sqlite3';
import { chunksOf, type WriteBatch } from '../write-batch.js';

/** Between the dashboard's thread and the writer thread. */
export type WriterRequest = { type: 'batch'; batch: WriteBatch } | { type: 'close' };
export type WriterReply =
  | { type: 'durable'; id: number; ms: number }
  | { type: 'failed'; id: number; error: string }
  | { type: 'closed' };

/** Prepares the statements once and returns a function applying a batch in one transaction. */
export function batchApplier(db: Database.Database): (batch: WriteBatch) => void {
  const putMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  const putHost = db.prepare('INSERT INTO hosts (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data');
  const deleteHost = db.prepare('DELETE FROM hosts WHERE id = ?');
  const putCommand = db.prepare(
    `INSERT INTO commands (id, host_id, command, status, exit_code, message, created_at, started_at, finished_at, output_lines, agent_seq_next)
     VALUES (@id, @host_id, @command, @status, @exit_code, @message, @created_at, @started_at, @finished_at, @output_lines, @agent_seq_next)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, exit_code = excluded.exit_code, message = excluded.message,
       started_at = excluded.started_at, finished_at = excluded.finished_at, output_lines = excluded.output_lines,
       agent_seq_next = excluded.agent_seq_next`,
  );
  // OR IGNORE: a batch retried after a failure may hold chunks that are already there.
  const putChunk = db.prepare(
    'INSERT OR IGNORE INTO output_chunks (command_id, first_seq, line_count, agent_seq_end, data) VALUES (?, ?, ?, ?, ?)',
  );
  const putSession = db.prepare(
    `INSERT INTO sessions (id_hash, csrf_token, created_at, expires_at, address) VALUES (@id_hash, @csrf_token, @created_at, @expires_at, @address)
     ON CONFLICT (id_hash) DO UPDATE SET expires_at = excluded.expires_at`,
  );
  const deleteSession = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
  const putHostToken = db.prepare(
    `INSERT INTO host_tokens (host_id, token_hash, created_at) VALUES (@host_id, @token_hash, @created_at)
     ON CONFLICT (host_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`,
  );
  const deleteHostToken = db.prepare('DELETE FROM host_tokens WHERE host_id = ?');
  const putApiToken = db.prepare(
    `INSERT INTO api_tokens (id, name, scope, token_hash, created_at, created_by, last_used_at)
     VALUES (@id, @name, @scope, @token_hash, @created_at, @created_by, @last_used_at)
     ON CONFLICT (id) DO UPDATE SET last_used_at = excluded.last_used_at`,
  );
  const deleteApiToken = db.prepare('DELETE FROM api_tokens WHERE id = ?');
  const putEvent = db.prepare(
    'INSERT OR IGNORE INTO events (id, at, level, host_id, message) VALUES (@id, @at, @level, @host_id, @message)',
  );

  const putRollout = db.prepare(
    'INSERT INTO rollouts (id, created_at, status, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, data = excluded.data',
  );

  const purgeEvents = db.prepare('DELETE FROM events WHERE at < ?');
  const purgeOutput = db.prepare(
    'DELETE FROM output_chunks WHERE command_id IN (SELECT id FROM commands WHERE finished_at IS NOT NULL AND finished_at < ?)',
  );

  return db.transaction((batch: WriteBatch) => {
    for (const [key, value] of batch.meta) putMeta.run(key, value);
    for (const id of batch.deletedHosts) deleteHost.run(id);
    for (const [id, json] of batch.hosts) putHost.run(id, json);
    for (const command of batch.commands) putCommand.run(command);
    for (const chunk of chunksOf(batch)) {
      putChunk.run(chunk.commandId, chunk.firstSeq, chunk.lines.length, chunk.agentSeqEnd, JSON.stringify(chunk.lines));
    }
    for (const idHash of batch.deletedSessions) deleteSession.run(idHash);
    for (const session of batch.sessions) putSession.run(session);
    for (const hostId of batch.deletedHostTokens) deleteHostToken.run(hostId);
    for (const token of batch.hostTokens) putHostToken.run(token);
    for (const id of batch.deletedApiTokens) deleteApiToken.run(id);
    for (const token of batch.apiTokens) putApiToken.run(token);
    for (const event of batch.events) putEvent.run(event);
    for (const [id, createdAt, status, json] of batch.rollouts) putRollout.run(id, createdAt, status, json);
    if (batch.purge) {
      purgeEvents.run(batch.purge.eventsBefore);
      purgeOutput.run(batch.purge.outputBefore);
    }
  });
}

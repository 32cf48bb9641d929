// How the PostgreSQL backend applies a batch: one transaction, one statement per table, the rows
// passed as arrays and expanded by unnest(), so a batch costs the same few round trips whatever its size.
import type pg from 'pg';
import { chunksOf, type WriteBatch } from '../write-batch.js';

const UPSERT_META = `INSERT INTO meta (key, value) SELECT * FROM unnest($1::text[], $2::text[])
  ON CONFLICT (key) DO UPDATE SET value = excluded.value`;
const DELETE_HOSTS = 'DELETE FROM hosts WHERE id = ANY($1::text[])';
const UPSERT_HOSTS = `INSERT INTO hosts (id, data) SELECT * FROM unnest($1::text[], $2::text[])
  ON CONFLICT (id) DO UPDATE SET data = excluded.data`;
const UPSERT_COMMANDS = `INSERT INTO commands (id, host_id, command, status, exit_code, message, created_at, started_at, finished_at, output_lines, agent_seq_next)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::int[], $11::int[])
  ON CONFLICT (id) DO UPDATE SET status = excluded.status, exit_code = excluded.exit_code, message = excluded.message,
    started_at = excluded.started_at, finished_at = excluded.finished_at, output_lines = excluded.output_lines,
    agent_seq_next = excluded.agent_seq_next`;
// DO NOTHING: a batch retried after a failure may hold chunks that are already there.
const INSERT_CHUNKS = `INSERT INTO output_chunks (command_id, first_seq, line_count, agent_seq_end, data)
  SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::text[])
  ON CONFLICT (command_id, first_seq) DO NOTHING`;
const DELETE_SESSIONS = 'DELETE FROM sessions WHERE id_hash = ANY($1::text[])';
const UPSERT_SESSIONS = `INSERT INTO sessions (id_hash, csrf_token, created_at, expires_at, address)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[])
  ON CONFLICT (id_hash) DO UPDATE SET expires_at = excluded.expires_at`;
const DELETE_HOST_TOKENS = 'DELETE FROM host_tokens WHERE host_id = ANY($1::text[])';
const UPSERT_HOST_TOKENS = `INSERT INTO host_tokens (host_id, token_hash, created_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
  ON CONFLICT (host_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`;
const DELETE_API_TOKENS = 'DELETE FROM api_tokens WHERE id = ANY($1::text[])';
const UPSERT_API_TOKENS = `INSERT INTO api_tokens (id, name, scope, token_hash, created_at, created_by, last_used_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[])
  ON CONFLICT (id) DO UPDATE SET last_used_at = excluded.last_used_at`;
const INSERT_EVENTS = `INSERT INTO events (id, at, level, host_id, message)
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[])
  ON CONFLICT (id) DO NOTHING`;
const UPSERT_ROLLOUTS = `INSERT INTO rollouts (id, created_at, status, data)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[])
  ON CONFLICT (id) DO UPDATE SET status = excluded.status, data = excluded.data`;
const PURGE_EVENTS = 'DELETE FROM events WHERE at < $1';
const PURGE_OUTPUT = 'DELETE FROM output_chunks WHERE command_id IN (SELECT id FROM commands WHERE finished_at IS NOT NULL AND finished_at < $1)';

/** Transposes rows into one array per column, as unnest() takes them. */
function columns<T>(rows: readonly T[], ...pick: ((row: T) => unknown)[]): unknown[][] {
  return pick.map((get) => rows.map(get));
}

/** Applies the batch in one transaction on `client`; throws (after rolling back) when it fails. */
export async function applyBatch(client: pg.ClientBase, batch: WriteBatch): Promise<void> {
  const run = async (sql: string, params: unknown[][], rows: number) => {
    if (rows > 0) await client.query(sql, params);
  };
  await client.query('BEGIN');
  try {
    await run(UPSERT_META, columns(batch.meta, ([key]) => key, ([, value]) => value), batch.meta.length);
    await run(DELETE_HOSTS, [batch.deletedHosts], batch.deletedHosts.length);
    await run(UPSERT_HOSTS, columns(batch.hosts, ([id]) => id, ([, json]) => json), batch.hosts.length);
    const c = batch.commands;
    await run(
      UPSERT_COMMANDS,
      columns(c, (r) => r.id, (r) => r.host_id, (r) => r.command, (r) => r.status, (r) => r.exit_code, (r) => r.message, (r) => r.created_at, (r) => r.started_at, (r) => r.finished_at, (r) => r.output_lines, (r) => r.agent_seq_next),
      c.length,
    );
    const chunks = chunksOf(batch);
    await run(
      INSERT_CHUNKS,
      columns(chunks, (k) => k.commandId, (k) => k.firstSeq, (k) => k.lines.length, (k) => k.agentSeqEnd, (k) => JSON.stringify(k.lines)),
      chunks.length,
    );
    await run(DELETE_SESSIONS, [batch.deletedSessions], batch.deletedSessions.length);
    const s = batch.sessions;
    await run(UPSERT_SESSIONS, columns(s, (r) => r.id_hash, (r) => r.csrf_token, (r) => r.created_at, (r) => r.expires_at, (r) => r.address), s.length);
    await run(DELETE_HOST_TOKENS, [batch.deletedHostTokens], batch.deletedHostTokens.length);
    const t = batch.hostTokens;
    await run(UPSERT_HOST_TOKENS, columns(t, (r) => r.host_id, (r) => r.token_hash, (r) => r.created_at), t.length);
    await run(DELETE_API_TOKENS, [batch.deletedApiTokens], batch.deletedApiTokens.length);
    const a = batch.apiTokens;
    await run(UPSERT_API_TOKENS, columns(a, (r) => r.id, (r) => r.name, (r) => r.scope, (r) => r.token_hash, (r) => r.created_at, (r) => r.created_by, (r) => r.last_used_at), a.length);
    const e = batch.events;
    await run(INSERT_EVENTS, columns(e, (r) => r.id, (r) => r.at, (r) => r.level, (r) => r.host_id, (r) => r.message), e.length);
    const o = batch.rollouts;
    await run(UPSERT_ROLLOUTS, columns(o, ([id]) => id, ([, at]) => at, ([, , status]) => status, ([, , , json]) => json), o.length);
    if (batch.purge) {
      await client.query(PURGE_EVENTS, [batch.purge.eventsBefore]);
      await client.query(PURGE_OUTPUT, [batch.purge.outputBefore]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

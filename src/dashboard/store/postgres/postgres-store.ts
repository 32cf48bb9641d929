// The PostgreSQL store (NIXFLEET_DATABASE_URL): the same batching as the SQLite store, written by
// one connection in order, read through a small pool. While the database is away (a restart, a
// failover), batches wait in memory and are retried every second in their order: nothing written
// before is lost, and live traffic goes on.
import pg from 'pg';
import type { Logger } from 'pino';
import { FINAL_ROLLOUT_STATUSES, type Rollout } from '../../../protocol/rollout.js';
import { BatchingStore } from '../batching-store.js';
import type { ApiTokenRecord, CommandRecord, EventRecord, HostRecord, HostTokenRecord, SessionRecord, Snapshot, StoredLine } from '../store.js';
import type { WriteBatch } from '../write-batch.js';
import { applyBatch } from './batch.js';
import { migrate } from './schema.js';

/** A shutdown waits this long for pending writes; the whole stop must fit in 5 s. */
const CLOSE_TIMEOUT_MS = 3_000;
const RETRY_INTERVAL_MS = 1_000;
const READ_POOL_SIZE = 4;
/** A query that takes longer is given up (the health check must answer, reads must not hang). */
const STATEMENT_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 5_000;
const STREAMS = ['stdout', 'stderr'] as const;
const BIGINT_OID = 20;

/** Epoch milliseconds are bigint columns; they fit a JavaScript number. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === BIGINT_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export class PostgresStore extends BatchingStore {
  readonly kind = 'postgres';
  private readonly queue: WriteBatch[] = [];
  private writing = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly reads: pg.Pool,
    private readonly writer: pg.Pool,
    flushIntervalMs: number,
    log: Logger,
  ) {
    super(flushIntervalMs, log);
  }

  /** Connects, migrates the schema (once across instances) and returns the store. */
  static async open(url: string, flushIntervalMs: number, log: Logger): Promise<PostgresStore> {
    const settings = { connectionString: url, types, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, statement_timeout: STATEMENT_TIMEOUT_MS };
    const reads = new pg.Pool({ ...settings, max: READ_POOL_SIZE });
    // One writer connection: batches are applied strictly in order.
    const writer = new pg.Pool({ ...settings, max: 1 });
    for (const pool of [reads, writer]) pool.on('error', (err) => log.warn({ err }, 'idle PostgreSQL connection failed; it is replaced'));
    try {
      const client = await writer.connect();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
    } catch (err) {
      await Promise.allSettled([reads.end(), writer.end()]);
      throw err;
    }
    return new PostgresStore(reads, writer, flushIntervalMs, log);
  }

  protected send(batch: WriteBatch): void {
    this.queue.push(batch);
    if (!this.writing && this.retryTimer === null) void this.drain();
  }

  /** Applies queued batches in order; a failure is retried after a pause, the later ones wait. */
  private async drain(): Promise<void> {
    this.writing = true;
    this.retryTimer = null;
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue[0] as WriteBatch;
      const started = performance.now();
      try {
        const client = await this.writer.connect();
        try {
          await applyBatch(client, batch);
        } finally {
          client.release();
        }
      } catch (err) {
        this.failed((err as Error).message);
        this.retryTimer = setTimeout(() => void this.drain(), RETRY_INTERVAL_MS);
        this.writing = false;
        return;
      }
      this.queue.shift();
      this.durable(batch.id, performance.now() - started);
    }
    this.writing = false;
  }

  async load(recentCommands: number, recentRollouts: number): Promise<Snapshot> {
    const q = <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => this.reads.query<T>(sql, params).then((r) => r.rows);
    const final = [...FINAL_ROLLOUT_STATUSES];
    const [meta, hosts, active, recent, sessions, hostTokens, apiTokens, lastEvent, unfinished, finished] = await Promise.all([
      q<{ key: string; value: string }>('SELECT key, value FROM meta'),
      q<{ data: string }>('SELECT data FROM hosts'),
      q<CommandRecord>("SELECT * FROM commands WHERE status IN ('queued', 'running', 'lost') ORDER BY created_at DESC"),
      q<CommandRecord>("SELECT * FROM commands WHERE status NOT IN ('queued', 'running', 'lost') ORDER BY created_at DESC LIMIT $1", [recentCommands]),
      q<SessionRecord>('SELECT * FROM sessions WHERE expires_at > $1', [Date.now()]),
      q<HostTokenRecord>('SELECT * FROM host_tokens'),
      q<ApiTokenRecord>('SELECT * FROM api_tokens ORDER BY created_at'),
      q<{ id: number | null }>('SELECT max(id) AS id FROM events'),
      q<{ data: string }>('SELECT data FROM rollouts WHERE NOT (status = ANY($1::text[])) ORDER BY created_at DESC', [final]),
      q<{ data: string }>('SELECT data FROM rollouts WHERE status = ANY($1::text[]) ORDER BY created_at DESC LIMIT $2', [final, recentRollouts]),
    ]);
    const commands = await Promise.all([...active, ...recent].map((record) => this.withOutputCounters(record)));
    return {
      meta: new Map(meta.map((row) => [row.key, row.value])),
      hosts: hosts.map((row) => JSON.parse(row.data) as HostRecord),
      commands,
      sessions,
      hostTokens,
      apiTokens,
      rollouts: [...unfinished, ...finished].map((row) => JSON.parse(row.data) as Rollout),
      lastEventId: lastEvent[0]?.id ?? 0,
    };
  }

  async readCommand(id: string): Promise<CommandRecord | undefined> {
    const { rows } = await this.reads.query<CommandRecord>('SELECT * FROM commands WHERE id = $1', [id]);
    return rows[0] && this.withOutputCounters(rows[0]);
  }

  /** The command row is not rewritten for every batch of output: its counters come from the output. */
  private async withOutputCounters(record: CommandRecord): Promise<CommandRecord> {
    const { rows } = await this.reads.query<{ lines: number; agent_seq: number }>(
      'SELECT first_seq + line_count AS lines, agent_seq_end AS agent_seq FROM output_chunks WHERE command_id = $1 ORDER BY first_seq DESC LIMIT 1',
      [record.id],
    );
    record.output_lines = Math.max(record.output_lines, rows[0]?.lines ?? 0);
    record.agent_seq_next = Math.max(record.agent_seq_next, rows[0]?.agent_seq ?? 0);
    return record;
  }

  async readOutput(commandId: string, fromSeq: number, beforeSeq: number, limit: number): Promise<StoredLine[]> {
    // From the chunk holding `from` on, through the index; chunks never overlap and come in order.
    const { rows } = await this.reads.query<{ first_seq: number; data: string }>(
      `SELECT first_seq, data FROM output_chunks
       WHERE command_id = $1 AND first_seq < $2
         AND first_seq >= coalesce((SELECT first_seq FROM output_chunks WHERE command_id = $1 AND first_seq <= $3 ORDER BY first_seq DESC LIMIT 1), 0)
       ORDER BY first_seq LIMIT $4`,
      [commandId, beforeSeq, fromSeq, limit],
    );
    const lines: StoredLine[] = [];
    for (const row of rows) {
      const chunk = JSON.parse(row.data) as [number, string][];
      for (let i = 0; i < chunk.length && lines.length < limit; i++) {
        const seq = row.first_seq + i;
        const [stream, line] = chunk[i] as [number, string];
        if (seq >= fromSeq && seq < beforeSeq) lines.push({ seq, stream: STREAMS[stream] ?? 'stdout', line });
      }
      if (lines.length >= limit) break;
    }
    return lines;
  }

  async readEvents(hostId: string | null, limit: number): Promise<EventRecord[]> {
    const { rows } =
      hostId === null
        ? await this.reads.query<EventRecord>('SELECT * FROM events ORDER BY id DESC LIMIT $1', [limit])
        : await this.reads.query<EventRecord>('SELECT * FROM events WHERE host_id = $1 ORDER BY id DESC LIMIT $2', [hostId, limit]);
    return rows;
  }

  async readRollouts(limit: number, before?: Rollout): Promise<Rollout[]> {
    const [at, id] = before ? [Date.parse(before.created_at), before.id] : [Number.MAX_SAFE_INTEGER, ''];
    const { rows } = await this.reads.query<{ data: string }>(
      'SELECT data FROM rollouts WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC LIMIT $3',
      [at, id, limit],
    );
    return rows.map((row) => JSON.parse(row.data) as Rollout);
  }

  async readRollout(id: string): Promise<Rollout | undefined> {
    const { rows } = await this.reads.query<{ data: string }>('SELECT data FROM rollouts WHERE id = $1', [id]);
    return rows[0] && (JSON.parse(rows[0].data) as Rollout);
  }

  async ping(): Promise<boolean> {
    try {
      await this.reads.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const began = Date.now();
    await this.flushForClose(CLOSE_TIMEOUT_MS);
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await Promise.allSettled([this.reads.end(), this.writer.end()]);
    this.log.info({ closeMs: Date.now() - began }, 'storage closed');
  }
}

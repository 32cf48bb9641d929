// The SQLite store: reads on this thread, writes gathered into batches for the writer thread.
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { ApiTokenRecord, CommandRecord, EventRecord, HostRecord, HostTokenRecord, SessionRecord, Snapshot, StoredLine } from '../store.js';
import { FINAL_ROLLOUT_STATUSES, type Rollout } from '../../../protocol/rollout.js';
import { BatchingStore } from '../batching-store.js';
import type { WriteBatch } from '../write-batch.js';
import type { WriterReply } from './batch.js';
import { migrate, openDatabase } from './schema.js';
import { startSiblingWorker } from '../../../util/worker.js';

export const DATABASE_FILE = 'nixfleet.sqlite';
/** A shutdown waits this long for pending writes; the whole stop must fit in 5 s. */
const CLOSE_TIMEOUT_MS = 3_000;
const WORKER_RESTART_MIN_MS = 500;
const WORKER_RESTART_MAX_MS = 30_000;

const STREAMS = ['stdout', 'stderr'] as const;

interface CommandRow extends Omit<CommandRecord, 'status'> {
  status: string;
}

export class SqliteStore extends BatchingStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly file: string;
  private worker: Worker;
  private closed = false;
  private restartDelayMs = WORKER_RESTART_MIN_MS;
  private readonly statements;

  constructor(dataDir: string, flushIntervalMs: number, log: Logger) {
    super(flushIntervalMs, log);
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.file = path.join(dataDir, DATABASE_FILE);
    this.db = openDatabase(this.file);
    migrate(this.db);
    this.statements = {
      ping: this.db.prepare('SELECT 1'),
      command: this.db.prepare('SELECT * FROM commands WHERE id = ?'),
      // Chunks of a command never overlap and come in order, so its last chunk ends its output.
      outputEnd: this.db.prepare(
        'SELECT first_seq + line_count AS lines, agent_seq_end AS agent_seq FROM output_chunks WHERE command_id = ? ORDER BY first_seq DESC LIMIT 1',
      ),
      // From the chunk holding `from` on, found through the index rather than by reading from seq 0.
      output: this.db.prepare(
        `SELECT first_seq, data FROM output_chunks
         WHERE command_id = @id AND first_seq < @before
           AND first_seq >= coalesce((SELECT first_seq FROM output_chunks WHERE command_id = @id AND first_seq <= @from ORDER BY first_seq DESC LIMIT 1), 0)
         ORDER BY first_seq`,
      ),
      eventsAll: this.db.prepare('SELECT * FROM events ORDER BY id DESC LIMIT ?'),
      eventsByHost: this.db.prepare('SELECT * FROM events WHERE host_id = ? ORDER BY id DESC LIMIT ?'),
      rollouts: this.db.prepare('SELECT data FROM rollouts WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?'),
      rollout: this.db.prepare('SELECT data FROM rollouts WHERE id = ?'),
    };
    this.worker = this.startWorker();
  }

  private startWorker(): Worker {
    const worker = startSiblingWorker(import.meta.url, 'writer-thread', { workerData: { file: this.file } });
    worker.on('message', (reply: WriterReply) => this.onReply(reply));
    worker.on('error', (err) => this.failed(`writer thread failed: ${err.message}`));
    worker.on('exit', (code) => {
      if (this.closed) return;
      // Restart with a growing delay so a writer that cannot start does not spin.
      const delayMs = this.restartDelayMs;
      this.restartDelayMs = Math.min(delayMs * 2, WORKER_RESTART_MAX_MS);
      this.log.error({ code, delayMs }, 'storage writer thread exited; restarting it and resending unwritten batches');
      setTimeout(() => {
        if (this.closed) return;
        this.worker = this.startWorker();
        for (const { batch } of this.inFlight.values()) this.worker.postMessage({ type: 'batch', batch });
      }, delayMs);
    });
    return worker;
  }

  private onReply(reply: WriterReply): void {
    if (reply.type === 'failed') return this.failed(reply.error);
    if (reply.type !== 'durable') return;
    this.restartDelayMs = WORKER_RESTART_MIN_MS;
    this.durable(reply.id, reply.ms);
  }

  protected send(batch: WriteBatch): void {
    this.worker.postMessage({ type: 'batch', batch });
  }

  async load(recentCommands: number, recentRollouts: number): Promise<Snapshot> {
    const meta = new Map(
      (this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((row) => [row.key, row.value]),
    );
    const hosts = (this.db.prepare('SELECT data FROM hosts').all() as { data: string }[]).map(
      (row) => JSON.parse(row.data) as HostRecord,
    );
    const active = this.db.prepare("SELECT * FROM commands WHERE status IN ('queued', 'running', 'lost') ORDER BY created_at DESC").all();
    const recent = this.db
      .prepare("SELECT * FROM commands WHERE status NOT IN ('queued', 'running', 'lost') ORDER BY created_at DESC LIMIT ?")
      .all(recentCommands);
    const sessions = this.db.prepare('SELECT * FROM sessions WHERE expires_at > ?').all(Date.now()) as SessionRecord[];
    const hostTokens = this.db.prepare('SELECT * FROM host_tokens').all() as HostTokenRecord[];
    const apiTokens = this.db.prepare('SELECT * FROM api_tokens ORDER BY created_at').all() as ApiTokenRecord[];
    const lastEvent = this.db.prepare('SELECT max(id) AS id FROM events').get() as { id: number | null };
    const finalStatuses = [...FINAL_ROLLOUT_STATUSES].map((status) => `'${status}'`).join(', ');
    const unfinished = this.db.prepare(`SELECT data FROM rollouts WHERE status NOT IN (${finalStatuses}) ORDER BY created_at DESC`).all();
    const finished = this.db
      .prepare(`SELECT data FROM rollouts WHERE status IN (${finalStatuses}) ORDER BY created_at DESC LIMIT ?`)
      .all(recentRollouts);
    return {
      meta,
      hosts,
      commands: [...active, ...recent].map((row) => this.withOutputCounters(row as CommandRow as CommandRecord)),
      sessions,
      hostTokens,
      apiTokens,
      rollouts: ([...unfinished, ...finished] as { data: string }[]).map((row) => JSON.parse(row.data) as Rollout),
      lastEventId: lastEvent.id ?? 0,
    };
  }

  async readCommand(id: string): Promise<CommandRecord | undefined> {
    const record = this.statements.command.get(id) as CommandRecord | undefined;
    return record && this.withOutputCounters(record);
  }

  /** The command row is not rewritten for every batch of output: its counters come from the output. */
  private withOutputCounters(record: CommandRecord): CommandRecord {
    const end = this.statements.outputEnd.get(record.id) as { lines: number; agent_seq: number } | undefined;
    record.output_lines = Math.max(record.output_lines, end?.lines ?? 0);
    record.agent_seq_next = Math.max(record.agent_seq_next, end?.agent_seq ?? 0);
    return record;
  }

  async readOutput(commandId: string, fromSeq: number, beforeSeq: number, limit: number): Promise<StoredLine[]> {
    const lines: StoredLine[] = [];
    // iterate() reads chunk by chunk, so a long output is not loaded beyond the limit.
    for (const row of this.statements.output.iterate({ id: commandId, from: fromSeq, before: beforeSeq }) as Iterable<{ first_seq: number; data: string }>) {
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
    const rows = hostId === null ? this.statements.eventsAll.all(limit) : this.statements.eventsByHost.all(hostId, limit);
    return rows as EventRecord[];
  }

  async readRollouts(limit: number, before?: Rollout): Promise<Rollout[]> {
    const [at, id] = before ? [Date.parse(before.created_at), before.id] : [Number.MAX_SAFE_INTEGER, ''];
    return (this.statements.rollouts.all(at, id, limit) as { data: string }[]).map((row) => JSON.parse(row.data) as Rollout);
  }

  async readRollout(id: string): Promise<Rollout | undefined> {
    const row = this.statements.rollout.get(id) as { data: string } | undefined;
    return row && (JSON.parse(row.data) as Rollout);
  }

  async ping(): Promise<boolean> {
    try {
      return this.statements.ping.get() !== undefined;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const began = Date.now();
    await this.flushForClose(CLOSE_TIMEOUT_MS);
    const flushMs = Date.now() - began;
    this.closed = true;
    const worker = this.worker;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' });
    const stuck = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
    await exited;
    clearTimeout(stuck);
    const writerMs = Date.now() - began;
    this.db.close();
    this.log.info({ flushMs, writerMs, closeMs: Date.now() - began }, 'storage closed');
  }
}

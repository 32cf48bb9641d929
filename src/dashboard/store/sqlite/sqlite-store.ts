// The SQLite store: reads on this thread, writes gathered into batches for the writer thread.
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type {
  CommandRecord,
  EventRecord,
  HostRecord,
  HostTokenRecord,
  SessionRecord,
  Snapshot,
  Store,
  StoreHealth,
  StoreObserver,
  StoredLine,
} from '../store.js';
import type { WriteBatch, WriterReply } from './batch.js';
import { migrate, openDatabase } from './schema.js';
import { startSiblingWorker } from '../../../util/worker.js';

export const DATABASE_FILE = 'nixfleet.sqlite';
/** A shutdown waits this long for pending writes; the whole stop must fit in 5 s. */
const CLOSE_TIMEOUT_MS = 3_000;
const WORKER_RESTART_MIN_MS = 500;
/** While writes keep failing, the error is logged again this often, with what is waiting. */
const FAILURE_LOG_INTERVAL_MS = 30_000;
const WORKER_RESTART_MAX_MS = 30_000;

const STREAM_CODES = { stdout: 0, stderr: 1 } as const;
const STREAMS = ['stdout', 'stderr'] as const;

interface CommandRow extends Omit<CommandRecord, 'status'> {
  status: string;
}

/** Writes waiting for the next batch. Records are live objects, read when the batch is taken. */
class PendingWrites {
  meta = new Map<string, string>();
  hosts = new Map<string, HostRecord | null>();
  commands = new Map<string, CommandRecord>();
  output: { commandId: string; lines: readonly StoredLine[]; agentSeqNext: number }[] = [];
  sessions = new Map<string, SessionRecord | null>();
  hostTokens = new Map<string, HostTokenRecord | null>();
  events: EventRecord[] = [];
  purge: WriteBatch['purge'] = null;

  get empty(): boolean {
    const maps = this.meta.size + this.hosts.size + this.commands.size + this.sessions.size + this.hostTokens.size;
    return maps + this.output.length + this.events.length === 0 && this.purge === null;
  }
}

interface InFlight {
  batch: WriteBatch;
  /** The highest seq of each command's lines in this batch. */
  outputThrough: Map<string, number>;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly file: string;
  private worker: Worker;
  private pending = new PendingWrites();
  private flushTimer: NodeJS.Timeout | null = null;
  private nextBatchId = 1;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly flushWaiters: { batchId: number; resolve: () => void }[] = [];
  private readonly durableListeners: ((commandId: string, throughSeq: number) => void)[] = [];
  private readonly observers: StoreObserver[] = [];
  private writeError: string | null = null;
  private failureLoggedAt = 0;
  private batchesWritten = 0;
  private closed = false;
  private restartDelayMs = WORKER_RESTART_MIN_MS;
  private readonly statements;

  constructor(
    dataDir: string,
    private readonly flushIntervalMs: number,
    private readonly log: Logger,
  ) {
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
    };
    this.worker = this.startWorker();
  }

  private startWorker(): Worker {
    const worker = startSiblingWorker(import.meta.url, 'writer-thread', { workerData: { file: this.file } });
    worker.on('message', (reply: WriterReply) => this.onReply(reply));
    worker.on('error', (err) => {
      this.writeError = `writer thread failed: ${err.message}`;
      this.log.error({ err }, 'storage writer thread failed');
    });
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
    if (reply.type === 'failed') {
      const now = Date.now();
      if (this.writeError === null || now - this.failureLoggedAt >= FAILURE_LOG_INTERVAL_MS) {
        this.failureLoggedAt = now;
        const pending = this.inFlight.size;
        this.log.error({ error: reply.error, pendingBatches: pending }, 'storage writes are failing; live traffic goes on, writes are held in memory and retried');
      }
      this.writeError = reply.error;
      for (const observer of this.observers) observer.failed();
      return;
    }
    if (reply.type !== 'durable') return;
    if (this.writeError !== null) this.log.warn('storage writes are going through again');
    this.writeError = null;
    this.restartDelayMs = WORKER_RESTART_MIN_MS;
    const done = this.inFlight.get(reply.id);
    this.inFlight.delete(reply.id);
    this.batchesWritten += 1;
    for (const observer of this.observers) observer.written(reply.ms);
    if (done) {
      for (const [commandId, seq] of done.outputThrough) {
        for (const listener of this.durableListeners) listener(commandId, seq);
      }
    }
    while (this.flushWaiters.length > 0 && (this.flushWaiters[0]?.batchId ?? Infinity) <= reply.id) {
      this.flushWaiters.shift()?.resolve();
    }
  }

  load(recentCommands: number): Snapshot {
    const meta = new Map(
      (this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((row) => [row.key, row.value]),
    );
    const hosts = (this.db.prepare('SELECT data FROM hosts').all() as { data: string }[]).map(
      (row) => JSON.parse(row.data) as HostRecord,
    );
    const active = this.db.prepare("SELECT * FROM commands WHERE status IN ('queued', 'running') ORDER BY created_at DESC").all();
    const recent = this.db
      .prepare("SELECT * FROM commands WHERE status NOT IN ('queued', 'running') ORDER BY created_at DESC LIMIT ?")
      .all(recentCommands);
    const sessions = this.db.prepare('SELECT * FROM sessions WHERE expires_at > ?').all(Date.now()) as SessionRecord[];
    const hostTokens = this.db.prepare('SELECT * FROM host_tokens').all() as HostTokenRecord[];
    const lastEvent = this.db.prepare('SELECT max(id) AS id FROM events').get() as { id: number | null };
    return {
      meta,
      hosts,
      commands: [...active, ...recent].map((row) => this.withOutputCounters(row as CommandRow as CommandRecord)),
      sessions,
      hostTokens,
      lastEventId: lastEvent.id ?? 0,
    };
  }

  readCommand(id: string): CommandRecord | undefined {
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

  readOutput(commandId: string, fromSeq: number, beforeSeq: number, limit: number): StoredLine[] {
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

  readEvents(hostId: string | null, limit: number): EventRecord[] {
    const rows = hostId === null ? this.statements.eventsAll.all(limit) : this.statements.eventsByHost.all(hostId, limit);
    return rows as EventRecord[];
  }

  putHost(record: HostRecord): void {
    this.pending.hosts.set(record.id, record);
    this.scheduleFlush();
  }

  deleteHost(id: string): void {
    this.pending.hosts.set(id, null);
    this.scheduleFlush();
  }

  putCommand(record: CommandRecord): void {
    this.pending.commands.set(record.id, record);
    this.scheduleFlush();
  }

  appendOutput(commandId: string, lines: readonly StoredLine[], agentSeqNext: number): void {
    if (lines.length === 0) return;
    this.pending.output.push({ commandId, lines, agentSeqNext });
    this.scheduleFlush();
  }

  putHostToken(record: HostTokenRecord): void {
    this.pending.hostTokens.set(record.host_id, record);
    this.scheduleFlush();
  }

  deleteHostToken(hostId: string): void {
    this.pending.hostTokens.set(hostId, null);
    this.scheduleFlush();
  }

  putSession(record: SessionRecord): void {
    this.pending.sessions.set(record.id_hash, record);
    this.scheduleFlush();
  }

  deleteSession(idHash: string): void {
    this.pending.sessions.set(idHash, null);
    this.scheduleFlush();
  }

  putEvent(record: EventRecord): void {
    this.pending.events.push(record);
    this.scheduleFlush();
  }

  setMeta(key: string, value: string): void {
    this.pending.meta.set(key, value);
    this.scheduleFlush();
  }

  purge(eventsBefore: number, outputBefore: number): void {
    this.pending.purge = { eventsBefore, outputBefore };
    this.scheduleFlush();
  }

  observe(observer: StoreObserver): void {
    this.observers.push(observer);
  }

  afterDurable(callback: () => void): void {
    const through = this.pending.empty ? this.nextBatchId - 1 : this.nextBatchId;
    if ([...this.inFlight.keys()].every((id) => id > through) && this.pending.empty) {
      queueMicrotask(callback);
      return;
    }
    this.flushWaiters.push({ batchId: through, resolve: callback });
  }

  onOutputDurable(listener: (commandId: string, throughSeq: number) => void): void {
    this.durableListeners.push(listener);
  }

  ping(): boolean {
    try {
      return this.statements.ping.get() !== undefined;
    } catch {
      return false;
    }
  }

  health(): StoreHealth {
    return { ok: this.writeError === null, error: this.writeError, pendingBatches: this.inFlight.size, batchesWritten: this.batchesWritten };
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.closed) return;
    this.flushTimer = setTimeout(() => this.sendBatch(), this.flushIntervalMs);
  }

  /** Takes everything pending as one batch and hands it to the writer; returns its id. */
  private sendBatch(): number {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const pending = this.pending;
    if (pending.empty) return this.nextBatchId - 1;
    this.pending = new PendingWrites();
    const batch: WriteBatch = {
      id: this.nextBatchId++,
      meta: [...pending.meta],
      hosts: [],
      deletedHosts: [],
      commands: [...pending.commands.values()].map((record) => ({ ...record })),
      outputCommandIds: [],
      outputSeqs: [],
      outputStreams: [],
      outputLines: [],
      outputAgentSeqs: [],
      sessions: [],
      deletedSessions: [],
      hostTokens: [],
      deletedHostTokens: [],
      events: pending.events,
      purge: pending.purge,
    };
    for (const [hostId, record] of pending.hostTokens) {
      if (record === null) batch.deletedHostTokens.push(hostId);
      else batch.hostTokens.push({ ...record });
    }
    for (const [id, record] of pending.hosts) {
      if (record === null) batch.deletedHosts.push(id);
      else batch.hosts.push([id, JSON.stringify(record)]);
    }
    for (const [idHash, record] of pending.sessions) {
      if (record === null) batch.deletedSessions.push(idHash);
      else batch.sessions.push({ ...record });
    }
    const outputThrough = new Map<string, number>();
    for (const { commandId, lines, agentSeqNext } of pending.output) {
      for (const line of lines) {
        batch.outputCommandIds.push(commandId);
        batch.outputSeqs.push(line.seq);
        batch.outputStreams.push(STREAM_CODES[line.stream]);
        batch.outputLines.push(line.line);
        batch.outputAgentSeqs.push(agentSeqNext);
      }
      const last = lines[lines.length - 1];
      if (last) outputThrough.set(commandId, Math.max(outputThrough.get(commandId) ?? -1, last.seq));
    }
    this.inFlight.set(batch.id, { batch, outputThrough });
    this.worker.postMessage({ type: 'batch', batch });
    return batch.id;
  }

  flush(): Promise<void> {
    const batchId = this.sendBatch();
    if ([...this.inFlight.keys()].every((id) => id > batchId)) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push({ batchId, resolve }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const began = Date.now();
    const flushed = this.flush();
    const timedOut = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
    await Promise.race([flushed, timedOut]);
    if (this.inFlight.size > 0) this.log.error({ batches: this.inFlight.size }, 'closing with unwritten storage batches');
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

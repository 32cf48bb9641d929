// What every backend shares: writes never block the caller; they gather for a short tick and go to the
// backend as one batch (one transaction), in order. A backend says when a batch is durable or failed;
// a failed batch is retried by the backend, and the ones after it wait, so the order of writes holds
// and nothing is lost while the database is away. Reads are the backend's own.
import type { Logger } from 'pino';
import type { Rollout } from '../../protocol/rollout.js';
import type {
  ApiTokenRecord,
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
} from './store.js';
import type { WriteBatch } from './write-batch.js';

/** While writes keep failing, the error is logged again this often, with what is waiting. */
const FAILURE_LOG_INTERVAL_MS = 30_000;
const STREAM_CODES = { stdout: 0, stderr: 1 } as const;

/** Writes waiting for the next batch. Records are live objects, read when the batch is taken. */
class PendingWrites {
  meta = new Map<string, string>();
  hosts = new Map<string, HostRecord | null>();
  commands = new Map<string, CommandRecord>();
  output: { commandId: string; lines: readonly StoredLine[]; agentSeqNext: number }[] = [];
  sessions = new Map<string, SessionRecord | null>();
  hostTokens = new Map<string, HostTokenRecord | null>();
  apiTokens = new Map<string, ApiTokenRecord | null>();
  events: EventRecord[] = [];
  rollouts = new Map<string, Rollout>();
  purge: WriteBatch['purge'] = null;

  get empty(): boolean {
    const maps =
      this.meta.size + this.hosts.size + this.commands.size + this.sessions.size + this.hostTokens.size + this.apiTokens.size + this.rollouts.size;
    return maps + this.output.length + this.events.length === 0 && this.purge === null;
  }

  /** The writes as one batch: a snapshot of the live records. */
  take(id: number): { batch: WriteBatch; outputThrough: Map<string, number> } {
    const batch: WriteBatch = {
      id,
      meta: [...this.meta],
      hosts: [],
      deletedHosts: [],
      commands: [...this.commands.values()].map((record) => ({ ...record })),
      outputCommandIds: [],
      outputSeqs: [],
      outputStreams: [],
      outputLines: [],
      outputAgentSeqs: [],
      sessions: [],
      deletedSessions: [],
      hostTokens: [],
      deletedHostTokens: [],
      apiTokens: [],
      deletedApiTokens: [],
      events: this.events,
      rollouts: [...this.rollouts.values()].map((r) => [r.id, Date.parse(r.created_at), r.status, JSON.stringify(r)]),
      purge: this.purge,
    };
    for (const [hostId, record] of this.hostTokens) {
      if (record === null) batch.deletedHostTokens.push(hostId);
      else batch.hostTokens.push({ ...record });
    }
    for (const [id, record] of this.apiTokens) {
      if (record === null) batch.deletedApiTokens.push(id);
      else batch.apiTokens.push({ ...record });
    }
    for (const [id, record] of this.hosts) {
      if (record === null) batch.deletedHosts.push(id);
      else batch.hosts.push([id, JSON.stringify(record)]);
    }
    for (const [idHash, record] of this.sessions) {
      if (record === null) batch.deletedSessions.push(idHash);
      else batch.sessions.push({ ...record });
    }
    const outputThrough = new Map<string, number>();
    for (const { commandId, lines, agentSeqNext } of this.output) {
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
    return { batch, outputThrough };
  }
}

interface InFlight {
  batch: WriteBatch;
  /** The highest seq of each command's lines in this batch. */
  outputThrough: Map<string, number>;
}

export abstract class BatchingStore implements Store {
  abstract readonly kind: Store['kind'];
  private pending = new PendingWrites();
  private flushTimer: NodeJS.Timeout | null = null;
  private nextBatchId = 1;
  /** Batches handed to the backend and not yet durable, in order. */
  protected readonly inFlight = new Map<number, InFlight>();
  private readonly flushWaiters: { batchId: number; resolve: () => void }[] = [];
  private readonly durableListeners: ((commandId: string, throughSeq: number) => void)[] = [];
  private readonly observers: StoreObserver[] = [];
  private writeError: string | null = null;
  private failureLoggedAt = 0;
  private batchesWritten = 0;
  /** No more batches are taken: the store is closing. */
  protected closing = false;

  constructor(
    private readonly flushIntervalMs: number,
    protected readonly log: Logger,
  ) {}

  abstract load(recentCommands: number, recentRollouts: number): Promise<Snapshot>;
  abstract readCommand(id: string): Promise<CommandRecord | undefined>;
  abstract readOutput(commandId: string, fromSeq: number, beforeSeq: number, limit: number): Promise<StoredLine[]>;
  abstract readEvents(hostId: string | null, limit: number): Promise<EventRecord[]>;
  abstract readRollouts(limit: number, before?: Rollout): Promise<Rollout[]>;
  abstract readRollout(id: string): Promise<Rollout | undefined>;
  abstract ping(): Promise<boolean>;
  abstract close(): Promise<void>;
  /** Hands a batch to the backend, which answers with durable() or failed() for it, in order. */
  protected abstract send(batch: WriteBatch): void;

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

  putApiToken(record: ApiTokenRecord): void {
    this.pending.apiTokens.set(record.id, record);
    this.scheduleFlush();
  }

  deleteApiToken(id: string): void {
    this.pending.apiTokens.set(id, null);
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

  putRollout(record: Rollout): void {
    this.pending.rollouts.set(record.id, record);
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

  health(): StoreHealth {
    return { ok: this.writeError === null, error: this.writeError, pendingBatches: this.inFlight.size, batchesWritten: this.batchesWritten };
  }

  flush(): Promise<void> {
    const batchId = this.sendBatch();
    if ([...this.inFlight.keys()].every((id) => id > batchId)) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push({ batchId, resolve }));
  }

  /** Flushes what waits, for at most `timeoutMs`; then no more batches are taken. Logs what did not make it. */
  protected async flushForClose(timeoutMs: number): Promise<void> {
    const timedOut = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([this.flush(), timedOut]);
    if (this.inFlight.size > 0) this.log.error({ batches: this.inFlight.size }, 'closing with unwritten storage batches');
    this.closing = true;
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
  }

  /** The backend made the batch durable. */
  protected durable(id: number, ms: number): void {
    if (this.writeError !== null) this.log.warn('storage writes are going through again');
    this.writeError = null;
    const done = this.inFlight.get(id);
    this.inFlight.delete(id);
    this.batchesWritten += 1;
    for (const observer of this.observers) observer.written(ms);
    if (done) {
      for (const [commandId, seq] of done.outputThrough) {
        for (const listener of this.durableListeners) listener(commandId, seq);
      }
    }
    while (this.flushWaiters.length > 0 && (this.flushWaiters[0]?.batchId ?? Infinity) <= id) {
      this.flushWaiters.shift()?.resolve();
    }
  }

  /** The backend could not write the batch; it tries again, and the batches after it wait. */
  protected failed(error: string): void {
    const now = Date.now();
    if (this.writeError === null || now - this.failureLoggedAt >= FAILURE_LOG_INTERVAL_MS) {
      this.failureLoggedAt = now;
      this.log.error({ error, pendingBatches: this.inFlight.size }, 'storage writes are failing; live traffic goes on, writes are held in memory and retried');
    }
    this.writeError = error;
    for (const observer of this.observers) observer.failed();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.closing) return;
    this.flushTimer = setTimeout(() => this.sendBatch(), this.flushIntervalMs);
  }

  /** Takes everything pending as one batch and hands it to the backend; returns its id. */
  private sendBatch(): number {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const pending = this.pending;
    if (pending.empty) return this.nextBatchId - 1;
    this.pending = new PendingWrites();
    const taken = pending.take(this.nextBatchId++);
    this.inFlight.set(taken.batch.id, taken);
    this.send(taken.batch);
    return taken.batch.id;
  }
}

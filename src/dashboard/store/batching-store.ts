// What every backend shares: writes never block the caller; they gather for a short tick and go to the
// backend as one batch (one transaction), in order. A backend says when a batch is durable or failed;
// a failed batch is retried by the backend, and the ones after it wait, so the order of writes holds
// and nothing is lost while the database is away. Reads are the backend's own.
//
// Output lines are the exception to "every tick": a command's lines wait until there are enough of
// them to fill a chunk, or until the oldest has waited OUTPUT_HOLD_MS, or until the command's record
// is written. Each stored chunk costs an index entry on a page of its own, so with a thousand
// commands streaming a few lines a tick each, chunks of a tick cost the writer several times what the
// lines do. Whoever must know that lines are on disk (an agent's delivery barrier) names their
// command to afterDurable() and waits for them.
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
/** The longest a command's output lines wait for more of them to share one stored chunk. */
export const OUTPUT_HOLD_MS = 500;
/** A command's lines are written at the next tick once this many wait, or this many characters (UTF-16 units). */
export const OUTPUT_CHUNK_LINES = 64;
export const OUTPUT_CHUNK_CHARS = 32 * 1024;

interface OutputPart {
  lines: readonly StoredLine[];
  agentSeqNext: number;
}

/** Someone waiting for durability: of the batches through `batchId`, and of the held output named. */
interface DurableWaiter {
  batchId: number;
  /** Held outputs named by the waiter and not yet in a batch. */
  heldLeft: number;
  resolve: () => void;
}

/** One command's lines waiting for more to share a chunk. */
class HeldOutput {
  readonly parts: OutputPart[] = [];
  readonly waiters: DurableWaiter[] = [];
  private lineCount = 0;
  private chars = 0;

  constructor(readonly since: number) {}

  add(part: OutputPart): void {
    this.parts.push(part);
    this.lineCount += part.lines.length;
    for (const line of part.lines) this.chars += line.line.length;
  }

  due(now: number): boolean {
    return this.lineCount >= OUTPUT_CHUNK_LINES || this.chars >= OUTPUT_CHUNK_CHARS || now - this.since >= OUTPUT_HOLD_MS;
  }
}

/** Writes waiting for the next batch. Records are live objects, read when the batch is taken. */
class PendingWrites {
  meta = new Map<string, string>();
  hosts = new Map<string, HostRecord | null>();
  commands = new Map<string, CommandRecord>();
  output: (OutputPart & { commandId: string })[] = [];
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
  /** Output lines waiting to fill a chunk, per command (see OUTPUT_HOLD_MS). */
  private readonly held = new Map<string, HeldOutput>();
  private flushTimer: NodeJS.Timeout | null = null;
  private nextBatchId = 1;
  /** Batches handed to the backend and not yet durable, in order. */
  protected readonly inFlight = new Map<number, InFlight>();
  /** Waiting for batches (and held output) to be durable; resolved in the order batches become so. */
  private durableWaiters: DurableWaiter[] = [];
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
    let held = this.held.get(commandId);
    if (!held) {
      held = new HeldOutput(Date.now());
      this.held.set(commandId, held);
    }
    held.add({ lines, agentSeqNext });
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

  afterDurable(callback: () => void, outputOf: Iterable<string> = []): void {
    const waiter: DurableWaiter = { batchId: this.pending.empty ? this.nextBatchId - 1 : this.nextBatchId, heldLeft: 0, resolve: callback };
    for (const commandId of new Set(outputOf)) {
      const held = this.held.get(commandId);
      if (!held) continue;
      held.waiters.push(waiter);
      waiter.heldLeft += 1;
    }
    if (waiter.heldLeft === 0 && this.isDurable(waiter.batchId)) queueMicrotask(callback);
    else this.durableWaiters.push(waiter);
  }

  onOutputDurable(listener: (commandId: string, throughSeq: number) => void): void {
    this.durableListeners.push(listener);
  }

  health(): StoreHealth {
    return { ok: this.writeError === null, error: this.writeError, pendingBatches: this.inFlight.size, batchesWritten: this.batchesWritten };
  }

  flush(): Promise<void> {
    const batchId = this.sendBatch(true);
    if (this.isDurable(batchId)) return Promise.resolve();
    return new Promise((resolve) => this.durableWaiters.push({ batchId, heldLeft: 0, resolve }));
  }

  /** Whether the batches through `batchId` were all taken and are durable. */
  private isDurable(batchId: number): boolean {
    if (batchId >= this.nextBatchId) return false;
    for (const id of this.inFlight.keys()) if (id <= batchId) return false;
    return true;
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
    if (this.durableWaiters.length === 0) return;
    const waiting: DurableWaiter[] = [];
    const ready: DurableWaiter[] = [];
    for (const waiter of this.durableWaiters) (waiter.heldLeft === 0 && waiter.batchId <= id ? ready : waiting).push(waiter);
    this.durableWaiters = waiting;
    for (const waiter of ready) waiter.resolve();
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

  /**
   * Takes everything pending as one batch, with the held output that is due (all of it when `all`),
   * and hands it to the backend; returns its id.
   */
  private sendBatch(all = false): number {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.releaseHeld(all);
    const pending = this.pending;
    if (!pending.empty) {
      this.pending = new PendingWrites();
      const taken = pending.take(this.nextBatchId++);
      this.inFlight.set(taken.batch.id, taken);
      this.send(taken.batch);
    }
    if (this.held.size > 0) this.scheduleFlush();
    return this.nextBatchId - 1;
  }

  /** Moves held output into the pending batch: what is due, what goes with its command's record, or all. */
  private releaseHeld(all: boolean): void {
    if (this.held.size === 0) return;
    const now = Date.now();
    const batchId = this.nextBatchId;
    for (const [commandId, held] of this.held) {
      if (!all && !held.due(now) && !this.pending.commands.has(commandId)) continue;
      this.held.delete(commandId);
      for (const part of held.parts) this.pending.output.push({ commandId, ...part });
      for (const waiter of held.waiters) {
        waiter.batchId = Math.max(waiter.batchId, batchId);
        waiter.heldLeft -= 1;
      }
    }
  }
}

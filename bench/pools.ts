// Worker-thread pools of simulated agents and browsers, driven from the benchmark's main thread.
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../src/util/worker.js';
import type {
  AgentWorkerReply,
  AgentWorkerRequest,
  AgentWorkerStream,
  BrowserReport,
  BrowserWorkerReply,
  BrowserWorkerRequest,
  CommandRecord,
  CommandRun,
  OutputMode,
  StormReport,
} from './messages.js';

function split<T>(items: readonly T[], parts: number): T[][] {
  return Array.from({ length: parts }, (_, i) => items.filter((_, j) => j % parts === i));
}

/** Resolves with the next reply of `type` from the worker. */
function nextReply<R extends { type: string }, T extends R['type']>(worker: Worker, type: T): Promise<Extract<R, { type: T }>> {
  return new Promise((resolve) => {
    const listener = (reply: R) => {
      if (reply.type !== type) return;
      worker.off('message', listener);
      resolve(reply as Extract<R, { type: T }>);
    };
    worker.on('message', listener);
  });
}

export class AgentPool {
  private readonly workers: Worker[];
  private commandCounts: number[];

  constructor(workerCount: number) {
    this.workers = Array.from({ length: workerCount }, () => startSiblingWorker(import.meta.url, 'agent-worker', {}));
    this.commandCounts = this.workers.map(() => 0);
    this.workers.forEach((worker, i) =>
      worker.on('message', (reply: AgentWorkerReply) => {
        if (reply.type === 'commands') this.commandCounts[i] = reply.count;
      }),
    );
  }

  private send(worker: Worker, request: AgentWorkerRequest): void {
    worker.postMessage(request);
  }

  /** Connects and registers every host; returns how long it took and how many failed. */
  async connect(options: {
    wsUrl: string;
    token: string;
    hostnames: string[];
    mode: OutputMode;
    heartbeatIntervalS: number;
    commandRun: CommandRun | null;
    reconnect: boolean;
  }): Promise<{ elapsedMs: number; failed: number }> {
    const parts = split(options.hostnames, this.workers.length);
    const replies = this.workers.map((worker) => nextReply<AgentWorkerReply, 'connected'>(worker, 'connected'));
    this.workers.forEach((worker, i) =>
      this.send(worker, { type: 'start', ...options, hostnames: parts[i] ?? [], connectConcurrency: 64 }),
    );
    const done = await Promise.all(replies);
    return { elapsedMs: Math.max(...done.map((r) => r.elapsedMs)), failed: done.reduce((n, r) => n + r.failed, 0) };
  }

  async waitForCommands(count: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.commandCounts.reduce((a, b) => a + b, 0) < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.commandCounts.reduce((a, b) => a + b, 0)} of ${count} agents got their command`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Streams output on every agent with a command; returns the lines sent per command and the frames they went in. */
  async stream(request: Omit<AgentWorkerStream, 'type'>): Promise<{ sent: Record<string, number>; frames: number }> {
    const replies = this.workers.map((worker) => nextReply<AgentWorkerReply, 'streamed'>(worker, 'streamed'));
    for (const worker of this.workers) this.send(worker, { type: 'stream', ...request });
    const all = await Promise.all(replies);
    return { sent: Object.assign({}, ...all.map((r) => r.sent)) as Record<string, number>, frames: all.reduce((n, r) => n + r.frames, 0) };
  }

  /** Every command each host received (with a commandRun), by hostname. */
  async commandLog(): Promise<Record<string, CommandRecord[]>> {
    const replies = this.workers.map((worker) => nextReply<AgentWorkerReply, 'log'>(worker, 'log'));
    for (const worker of this.workers) this.send(worker, { type: 'log' });
    return Object.assign({}, ...(await Promise.all(replies)).map((r) => r.hosts)) as Record<string, CommandRecord[]>;
  }

  /** How the agents came back since `sinceMs`, over every worker. */
  async storm(sinceMs: number): Promise<StormReport> {
    const replies = this.workers.map((worker) => nextReply<AgentWorkerReply, 'storm'>(worker, 'storm'));
    for (const worker of this.workers) this.send(worker, { type: 'storm', sinceMs });
    const reports = await Promise.all(replies);
    const connectErrors: Record<string, number> = {};
    for (const r of reports) for (const [code, n] of Object.entries(r.connectErrors)) connectErrors[code] = (connectErrors[code] ?? 0) + n;
    const sum = (pick: (r: StormReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
    return {
      registeredAtMs: Object.assign({}, ...reports.map((r) => r.registeredAtMs)) as Record<string, number>,
      refusals: reports.flatMap((r) => r.refusals),
      connectErrors,
      attempts: sum((r) => r.attempts),
      registerTimeouts: sum((r) => r.registerTimeouts),
      namedRunning: sum((r) => r.namedRunning),
    };
  }

  async stop(): Promise<void> {
    const replies = this.workers.map((worker) => nextReply<AgentWorkerReply, 'stopped'>(worker, 'stopped'));
    for (const worker of this.workers) this.send(worker, { type: 'stop' });
    await Promise.all(replies);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export interface RolloutEnd {
  status: string;
  /** When each browser got the rollout_update that ended it (nowMs()). */
  atMs: number[];
}

export class BrowserPool {
  private readonly workers: Worker[];
  private readonly rolloutsEnded = new Map<string, RolloutEnd>();
  private browserCount = 0;

  constructor(workerCount: number) {
    this.workers = Array.from({ length: workerCount }, () => startSiblingWorker(import.meta.url, 'browser-worker', {}));
    for (const worker of this.workers) {
      worker.on('message', (reply: BrowserWorkerReply) => {
        if (reply.type !== 'rollout-ended') return;
        const ended = this.rolloutsEnded.get(reply.rolloutId) ?? { status: reply.status, atMs: [] };
        ended.atMs.push(reply.atMs);
        this.rolloutsEnded.set(reply.rolloutId, ended);
      });
    }
  }

  /** Resolves once every browser saw the rollout end; after `timeoutMs`, with those that did (null: none). */
  async rolloutEnd(rolloutId: string, timeoutMs: number): Promise<RolloutEnd | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ended = this.rolloutsEnded.get(rolloutId);
      if (ended && ended.atMs.length >= this.browserCount) return ended;
      if (Date.now() > deadline) return ended ?? null;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Heartbeat latency and the longest silence are measured from now on. */
  restartTiming(): void {
    for (const worker of this.workers) this.send(worker, { type: 'restart-timing' });
  }

  private send(worker: Worker, request: BrowserWorkerRequest): void {
    worker.postMessage(request);
  }

  /** Connects `count` browsers; browser number `stalledIndex` (over all workers) stops reading for `stallMs`. */
  async connect(options: { wsUrl: string; cookie: string; count: number; stalledIndex?: number; stallMs?: number; reconnect?: boolean }): Promise<void> {
    const per = Math.ceil(options.count / this.workers.length);
    const replies = this.workers.map((worker) => nextReply<BrowserWorkerReply, 'connected'>(worker, 'connected'));
    this.workers.forEach((worker, i) => {
      const count = Math.max(0, Math.min(per, options.count - i * per));
      const stalled = options.stalledIndex ?? -1;
      const stalledIndex = stalled >= i * per && stalled < i * per + count ? stalled - i * per : -1;
      const { wsUrl, cookie, stallMs = 0, reconnect = false } = options;
      this.send(worker, { type: 'start', wsUrl, cookie, count, stalledIndex, stallMs, reconnect });
    });
    await Promise.all(replies);
    this.browserCount += options.count;
  }

  /** The scenario starts: how busy the browsers' threads are is measured from now on. */
  mark(): void {
    for (const worker of this.workers) this.send(worker, { type: 'mark' });
  }

  /** Reports of every browser, in connection order (the stalled one at its index), and how busy each thread was since `mark` (0 to 1). */
  async report(): Promise<{ browsers: BrowserReport[]; threadsBusy: number[] }> {
    const { browsers, workersBusySinceMark } = await this.reportWithTimeline();
    return { browsers, threadsBusy: workersBusySinceMark };
  }

  /** The reports, and the worst heartbeat latency of each second since the last restartTiming (over every browser). */
  async reportWithTimeline(): Promise<{ browsers: BrowserReport[]; worstHeartbeatBySecond: number[]; workersBusy: number[]; workersBusySinceMark: number[] }> {
    const replies = this.workers.map((worker) => nextReply<BrowserWorkerReply, 'report'>(worker, 'report'));
    for (const worker of this.workers) this.send(worker, { type: 'report' });
    const all = await Promise.all(replies);
    const seconds = Math.max(0, ...all.map((r) => r.worstHeartbeatBySecond.length));
    const worstHeartbeatBySecond = Array.from({ length: seconds }, (_, i) => Math.max(...all.map((r) => r.worstHeartbeatBySecond[i] ?? 0)));
    return { browsers: all.flatMap((r) => r.browsers), worstHeartbeatBySecond, workersBusy: all.map((r) => r.busy), workersBusySinceMark: all.map((r) => r.busySinceMark) };
  }

  async stop(): Promise<void> {
    const replies = this.workers.map((worker) => nextReply<BrowserWorkerReply, 'stopped'>(worker, 'stopped'));
    for (const worker of this.workers) this.send(worker, { type: 'stop' });
    await Promise.all(replies);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

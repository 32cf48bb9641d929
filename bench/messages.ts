// Messages between the benchmark's main thread and its agent and browser worker threads.
export type OutputMode = 'v1' | 'v0';

export interface AgentWorkerStart {
  type: 'start';
  wsUrl: string;
  token: string;
  hostnames: string[];
  mode: OutputMode;
  heartbeatIntervalS: number;
  /** Connections opened at once while connecting. */
  connectConcurrency: number;
}

export interface AgentWorkerStream {
  type: 'stream';
  durationMs: number;
  linesPerSecond: number;
  lineBytes: number;
  /** The largest batch a v1 agent sends (our agent's limit). */
  maxLinesPerFrame: number;
}

export type AgentWorkerRequest = AgentWorkerStart | AgentWorkerStream | { type: 'stop' };

export type AgentWorkerReply =
  | { type: 'connected'; count: number; elapsedMs: number; failed: number }
  | { type: 'commands'; count: number }
  | { type: 'streamed'; sent: Record<string, number> }
  | { type: 'stopped' };

export interface BrowserWorkerStart {
  type: 'start';
  wsUrl: string;
  cookie: string;
  count: number;
  /** Index of a browser that stops reading after init, or -1. */
  stalledIndex: number;
  /** How long it stops reading; afterwards it reads again and sees how the dashboard treated it. */
  stallMs: number;
}

export type BrowserWorkerRequest = BrowserWorkerStart | { type: 'report' } | { type: 'stop' };

export interface BrowserReport {
  linesReceived: number;
  outOfOrder: number;
  /** Per command: the highest seq + 1 seen, and the number of distinct lines. */
  perCommand: Record<string, { lines: number; nextSeq: number }>;
  output: { counts: Uint32Array; count: number; max: number };
  heartbeat: { counts: Uint32Array; count: number; max: number };
  closeCodes: Record<string, number>;
}

export type BrowserWorkerReply =
  | { type: 'connected'; count: number }
  | { type: 'report'; browsers: BrowserReport[] }
  | { type: 'stopped' };

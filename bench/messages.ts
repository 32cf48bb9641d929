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
  /** How the agents run each command they get by themselves; null: they stream when told (`stream`). */
  commandRun: CommandRun | null;
}

/** A command as a simulated agent runs it: numbered lines spread over its duration, then `status` ok. */
export interface CommandRun {
  linesPerCommand: number;
  commandMs: number;
  lineBytes: number;
}

/** What one agent did with one command it received (times from nowMs(), comparable across threads). */
export interface CommandRecord {
  command: string;
  command_id: string;
  receivedAt: number;
  /** When its status went out; null while it runs. */
  endedAt: number | null;
  lines: number;
  /** It came while another ran, and was refused as the real agent refuses it. */
  rejected: boolean;
  /** How many more times the same command id came. */
  repeats: number;
}

export interface AgentWorkerStream {
  type: 'stream';
  durationMs: number;
  linesPerSecond: number;
  lineBytes: number;
  /** The largest batch a v1 agent sends (our agent's limit). */
  maxLinesPerFrame: number;
}

export type AgentWorkerRequest = AgentWorkerStart | AgentWorkerStream | { type: 'log' } | { type: 'stop' };

export type AgentWorkerReply =
  | { type: 'connected'; count: number; elapsedMs: number; failed: number }
  | { type: 'commands'; count: number }
  | { type: 'streamed'; sent: Record<string, number> }
  /** Every command each host received, by hostname, in the order received. */
  | { type: 'log'; hosts: Record<string, CommandRecord[]> }
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

/** `restart-timing`: the heartbeat histograms and the longest silence start again from now. */
export type BrowserWorkerRequest = BrowserWorkerStart | { type: 'report' } | { type: 'restart-timing' } | { type: 'stop' };

export interface BrowserReport {
  linesReceived: number;
  outOfOrder: number;
  /** Per command: the highest seq + 1 seen, and the number of distinct lines. */
  perCommand: Record<string, { lines: number; nextSeq: number }>;
  output: { counts: Uint32Array; count: number; max: number };
  heartbeat: { counts: Uint32Array; count: number; max: number };
  closeCodes: Record<string, number>;
  /** State messages (those with a `version`) received, and how many did not follow the one before. */
  versioned: number;
  versionGaps: number;
  /** The longest time without a state message, since the connection or the last restart-timing. */
  maxSilenceMs: number;
}

export type BrowserWorkerReply =
  | { type: 'connected'; count: number }
  | { type: 'report'; browsers: BrowserReport[] }
  /** A browser got the rollout_update that ended a rollout (sent once per browser and rollout). */
  | { type: 'rollout-ended'; rolloutId: string; status: string; atMs: number }
  | { type: 'stopped' };

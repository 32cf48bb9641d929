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
  /**
   * Behave as this repository's agent does when its socket is lost: reconnect with its backoff and
   * time limits, register as it does (naming the command it runs) and send a heartbeat at once.
   */
  reconnect: boolean;
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

/** `storm`: how the agents came back after `sinceMs` (a restart of the dashboard). */
export type AgentWorkerRequest = AgentWorkerStart | AgentWorkerStream | { type: 'log' } | { type: 'storm'; sinceMs: number } | { type: 'stop' };

/** An upgrade the dashboard answered with an HTTP status. */
export interface Refusal {
  hostname: string;
  status: number;
  /** When the attempt began (nowMs()): a starved worker may read the answer seconds later, after a restart. */
  atMs: number;
}

export interface StormReport {
  /** Per agent (by hostname), its first `registered` at or after sinceMs; NaN when it has not registered again. */
  registeredAtMs: Record<string, number>;
  refusals: Refusal[];
  /** Attempts that found no dashboard to talk to (connection refused, reset, timed out), by error code. */
  connectErrors: Record<string, number>;
  /** Connection attempts since sinceMs, and sockets dropped for want of an answer to `register`. */
  attempts: number;
  registerTimeouts: number;
  /** Agents that named a running command at their register since sinceMs. */
  namedRunning: number;
}

export type AgentWorkerReply =
  | { type: 'connected'; count: number; elapsedMs: number; failed: number }
  | { type: 'commands'; count: number }
  /** Lines sent per command, and the output frames they went in. */
  | { type: 'streamed'; sent: Record<string, number>; frames: number }
  /** Every command each host received, by hostname, in the order received. */
  | { type: 'log'; hosts: Record<string, CommandRecord[]> }
  | ({ type: 'storm' } & StormReport)
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
  /** Reconnect as the web page does (src/web/net/backoff.ts) when the socket is lost, and watch every host's presence. */
  reconnect: boolean;
}

/** `restart-timing`: the heartbeat histograms and the longest silence start again from now. */
export type BrowserWorkerRequest = BrowserWorkerStart | { type: 'report' } | { type: 'restart-timing' } | { type: 'mark' } | { type: 'stop' };

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
  /** With reconnect: every reconnect, from the attempt that succeeded to its `init`, in ms; and how connections ended ("closed 1001", "refused 503", "no connection"). */
  reconnectInitMs: number[];
  /** The same reconnects, from the attempt to the upgrade's answer (the rest of reconnectInitMs is the init's making and reading). */
  reconnectUpgradeMs: number[];
  connectionEvents: Record<string, number>;
  presence: PresenceReport | null;
}

/** What a browser saw of its hosts' presence (bench/host-watch.ts). */
export interface PresenceReport {
  hosts: number;
  /** Times a host was shown offline (in an init or a host_update), and which hosts. */
  offlineShown: number;
  offlineHosts: string[];
  /** Hosts shown without a connected agent now. */
  disconnectedNow: number;
  /** When every host last came to be shown online and connected (nowMs()); NaN while one is not. */
  allConnectedAtMs: number;
}

export type BrowserWorkerReply =
  | { type: 'connected'; count: number }
  /**
   * With the browsers' reports: the worst heartbeat latency of each second since the last restart-timing
   * (since `timingSince`, nowMs()), and how busy the worker's thread was meanwhile (0 to 1); and how
   * busy since the last `mark` (the scenario's start).
   */
  | { type: 'report'; browsers: BrowserReport[]; worstHeartbeatBySecond: number[]; timingSince: number; busy: number; busySinceMark: number }
  /** A browser got the rollout_update that ended a rollout (sent once per browser and rollout). */
  | { type: 'rollout-ended'; rolloutId: string; status: string; atMs: number }
  | { type: 'stopped' };

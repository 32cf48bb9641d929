// A simulated agent as the benchmark's worker threads keep it, and what its commands' output looks like.
import type { LiteSocket } from './lite-socket.js';
import { nowMs } from './histogram.js';
import type { CommandRecord } from './messages.js';

/** Our agent batches at most every 20 ms. */
export const BATCH_INTERVAL_MS = 20;

export interface SimAgent {
  hostname: string;
  socket: LiteSocket | null;
  /** Its socket is open and the dashboard answered `register` on it. */
  registered: boolean;
  commandId: string | null;
  seq: number;
  /** The name of the command it has, as heartbeats report it (null: nothing runs). */
  running: string | null;
  /** With a commandRun: every command received, and the one running now. */
  log: CommandRecord[];
  current: CommandRecord | null;
  /** With reconnect: failed attempts since the last `registered` (the backoff), and when each `registered` came. */
  attempt: number;
  registeredAt: number[];
  retryTimer: NodeJS.Timeout | null;
  /** When its next heartbeat is due (nowMs()); null until its clock starts. */
  heartbeatDueAt: number | null;
}

export interface CommandMessage {
  command: string;
  command_id: string;
}

export function newAgent(hostname: string): SimAgent {
  return { hostname, socket: null, registered: false, commandId: null, seq: 0, running: null, log: [], current: null, attempt: 0, registeredAt: [], retryTimer: null, heartbeatDueAt: null };
}

/** An output line: the time it was sent (which browsers time it by), then padding to `bytes`. */
export function line(bytes: number): string {
  const stamp = nowMs().toFixed(3);
  return `${stamp} ${'o'.repeat(Math.max(0, bytes - stamp.length - 1))}`;
}

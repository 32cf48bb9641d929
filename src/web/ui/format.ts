// How values read on screen. Pure functions of their input (and of `now` for times).
import type { Command, Host } from '../../protocol/model.js';

export type Presence = 'online' | 'reconnecting' | 'offline';

/** Online with its socket gone means the host is inside its grace period: its agent may come back. */
export function presenceOf(host: Host): Presence {
  if (host.status === 'offline') return 'offline';
  return host.connected ? 'online' : 'reconnecting';
}

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** A span of time in its largest whole unit: `42 s`, `3 min`, `23 h`, `5 d` (rounded down). */
export function duration(ms: number): string {
  const span = Math.max(0, ms);
  if (span < MINUTE_MS) return `${Math.floor(span / SECOND_MS)} s`;
  if (span < HOUR_MS) return `${Math.floor(span / MINUTE_MS)} min`;
  if (span < DAY_MS) return `${Math.floor(span / HOUR_MS)} h`;
  return `${Math.floor(span / DAY_MS)} d`;
}

/** `3 min ago`; a time a little ahead (clocks of two machines) counts as now. */
export function timeAgo(iso: string | null, nowMs: number): string {
  if (iso === null) return 'never';
  const thenMs = Date.parse(iso);
  if (Number.isNaN(thenMs)) return '—';
  return `${duration(nowMs - thenMs)} ago`;
}

/** `in 23 h`, or `now` once the time has come. */
export function timeUntil(iso: string, nowMs: number): string {
  const thenMs = Date.parse(iso);
  if (Number.isNaN(thenMs)) return '—';
  return thenMs <= nowMs ? 'now' : `in ${duration(thenMs - nowMs)}`;
}

/** A moment in a label that must not change every second: the time today, with the date otherwise. */
export function momentText(iso: string, nowMs: number): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const sameDay = date.toDateString() === new Date(nowMs).toDateString();
  return sameDay ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

/** A commit as people quote it. */
export const COMMIT_SHOWN_CHARS = 7;

export function shortCommit(commit: string): string {
  return commit.slice(0, COMMIT_SHOWN_CHARS);
}

export function clockTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

export function percent(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${Math.round(value)} %`;
}

/** A generation is a git commit: its first characters are enough to tell two apart. */
export function shortGeneration(generation: string): string {
  return /^[0-9a-f]{8,}$/i.test(generation) ? shortCommit(generation) : generation;
}

/** Only `#rrggbb` is used as a colour; anything else an agent sends is ignored. */
export function themeColor(value: string): string | undefined {
  return /^#[0-9a-fA-F]{6}$/.test(value) ? value : undefined;
}

export const COMMAND_STATUS_LABELS: Record<Command['status'], string> = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  stopped: 'stopped',
  timed_out: 'timed out',
  lost: 'lost',
  cancelled: 'cancelled',
  expired: 'expired',
};

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

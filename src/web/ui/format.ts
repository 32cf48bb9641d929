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

export function timeAgo(iso: string | null, nowMs: number): string {
  if (iso === null) return 'never';
  const thenMs = Date.parse(iso);
  if (Number.isNaN(thenMs)) return '—';
  const ago = Math.max(0, nowMs - thenMs);
  if (ago < MINUTE_MS) return `${Math.floor(ago / SECOND_MS)} s ago`;
  if (ago < HOUR_MS) return `${Math.floor(ago / MINUTE_MS)} min ago`;
  if (ago < DAY_MS) return `${Math.floor(ago / HOUR_MS)} h ago`;
  return new Date(thenMs).toLocaleDateString();
}

export function clockTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

export function percent(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${Math.round(value)} %`;
}

/** A generation is a git commit: its first characters are enough to tell two apart. */
export const GENERATION_SHOWN_CHARS = 7;

export function shortGeneration(generation: string): string {
  return /^[0-9a-f]{8,}$/i.test(generation) ? generation.slice(0, GENERATION_SHOWN_CHARS) : generation;
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

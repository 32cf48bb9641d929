// Where the desired state is read from: the fleet repository's mirror, or the earlier dashboard's version
// document. The tracker talks to this seam only; each source says what it can know.
import type { DesiredState } from '../../protocol/model.js';

/** What a source says about the branch head. */
export type DesiredHead = Pick<DesiredState, 'commit' | 'lock_hash' | 'committed_at' | 'subject'>;

export interface DesiredSource {
  readonly kind: Exclude<DesiredState['source'], 'none'>;
  /** Where it reads from, without a password the URL may carry: for logs. */
  readonly location: string;
  /** The head as this source last knew it before the process started, without the network; null if none. */
  lastKnown(): Promise<DesiredHead | null>;
  /** Reads the head now; rejects with an Error whose message is the reason a person can act on. */
  read(signal: AbortSignal): Promise<DesiredHead>;
  /**
   * How many commits `commit` (7 to 64 hex digits) is behind `desired`; null when it cannot tell.
   * Absent for a source that knows no history.
   */
  commitsBehind?(commit: string, desired: string, signal: AbortSignal): Promise<number | null>;
  /** Reads started, for tests and metrics. */
  readonly reads: number;
}

/** A commit as hosts send it: 7 to 64 hex digits (short from old agents, SHA-1 or SHA-256), lowercased; null if not one. */
export function normalizeCommit(text: string): string | null {
  const commit = text.trim().toLowerCase();
  return /^[0-9a-f]{7,64}$/.test(commit) ? commit : null;
}

/** Old agents report a short commit: two commits are one when one is a prefix of the other, at least this long. */
const MIN_COMMIT_PREFIX = 7;

/** Whether two commits, each full or a prefix of at least 7 digits, are the same commit. */
export function sameCommit(a: string, b: string): boolean {
  if (a.length < MIN_COMMIT_PREFIX || b.length < MIN_COMMIT_PREFIX) return false;
  const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
  return longer.toLowerCase().startsWith(shorter.toLowerCase());
}

/**
 * `https://user:token@host/...` → `https://user:***@host/...`, and `https://token@host/...` (a forge's
 * token alone) → `https://***@host/...`: what is logged or shown keeps no secret. An ssh user stays.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^/@\s:]*):[^/@\s]*@/gi, '$1:***@').replace(/(https?:\/\/)[^/@\s:]+@/gi, '$1***@');
}

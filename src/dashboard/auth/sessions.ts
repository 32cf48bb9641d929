// Browser sessions, kept server-side. The cookie carries a random token; the store keeps only its
// hash, so a copy of the database does not log anyone in.
import type { SessionRecord, Store } from '../store/store.js';
import { newSecret, sha256Hex } from './tokens.js';

const SWEEP_MIN_MS = 250;
const SWEEP_MAX_MS = 60_000;

export class SessionBook {
  private readonly byHash = new Map<string, SessionRecord>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly durationMs: number,
    records: readonly SessionRecord[],
    /** Told when a session ends (logout or expiry), so its sockets can be closed. */
    private readonly onEnded: (idHash: string) => void,
  ) {
    for (const record of records) this.byHash.set(record.id_hash, record);
    const sweepMs = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, durationMs / 4));
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref();
  }

  /** Starts a session; returns the token for the cookie, which is not kept anywhere. */
  create(address: string, now = Date.now()): { token: string; record: SessionRecord } {
    const token = newSecret();
    const record: SessionRecord = {
      id_hash: sha256Hex(token),
      csrf_token: newSecret(),
      created_at: now,
      expires_at: now + this.durationMs,
      address,
    };
    this.byHash.set(record.id_hash, record);
    this.store.putSession(record);
    return { token, record };
  }

  /** The live session of a cookie token, if any. */
  find(token: string, now = Date.now()): SessionRecord | undefined {
    const record = this.byHash.get(sha256Hex(token));
    if (!record) return undefined;
    if (record.expires_at > now) return record;
    this.end(record.id_hash);
    return undefined;
  }

  /** Whether the session of this id hash is live (a socket filed under it may stay). */
  isLive(idHash: string, now = Date.now()): boolean {
    return (this.byHash.get(idHash)?.expires_at ?? 0) > now;
  }

  end(idHash: string): void {
    if (!this.byHash.delete(idHash)) return;
    this.store.deleteSession(idHash);
    this.onEnded(idHash);
  }

  sweep(now = Date.now()): void {
    for (const record of [...this.byHash.values()]) {
      if (record.expires_at <= now) this.end(record.id_hash);
    }
  }

  stop(): void {
    clearInterval(this.sweeper);
  }
}

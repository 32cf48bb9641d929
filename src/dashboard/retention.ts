// Keeps events and command output only as long as configured (NIXFLEET_EVENT_RETENTION,
// NIXFLEET_OUTPUT_RETENTION): a purge rides along with the next write batch, regularly.
import type { Store } from './store/store.js';

const PURGE_INTERVAL_MIN_MS = 100;
const PURGE_INTERVAL_MAX_MS = 60 * 60_000;

export class Retention {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly eventRetentionMs: number,
    private readonly outputRetentionMs: number,
  ) {
    // Often enough that nothing outlives its retention by more than half of it, at most hourly.
    const intervalMs = Math.min(PURGE_INTERVAL_MAX_MS, Math.max(PURGE_INTERVAL_MIN_MS, Math.min(eventRetentionMs, outputRetentionMs) / 2));
    this.purge();
    this.timer = setInterval(() => this.purge(), intervalMs);
    this.timer.unref();
  }

  purge(now = Date.now()): void {
    this.store.purge(now - this.eventRetentionMs, now - this.outputRetentionMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

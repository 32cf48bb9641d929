// Two agents that register as one host replace each other again and again (each new connection
// closes the other with 4001, and the other reconnects). One replacement is normal: an agent that
// reconnected before its old socket was noticed dead. Many in a short time are a fight, which an
// admin must hear about once, not as a host that flaps silently.

/** Replacements within the window that make a fight. */
export const CONFLICT_REPLACEMENTS = 4;
export const CONFLICT_WINDOW_MS = 60_000;
/** A fight is over after this long without a replacement. */
export const CONFLICT_QUIET_MS = 5 * 60_000;

interface Watch {
  /** When the recent replacements happened, oldest first, within the window. */
  times: number[];
  /** The addresses the fighting connections came from. */
  addresses: Set<string>;
  fighting: boolean;
  quietTimer: NodeJS.Timeout | null;
}

export interface ConflictListener {
  /** A fight began: `addresses` are where the agents connect from. */
  began(hostId: string, addresses: readonly string[]): void;
  ended(hostId: string): void;
}

export class AgentConflicts {
  private readonly watches = new Map<string, Watch>();

  constructor(private readonly listener: ConflictListener) {}

  isFighting(hostId: string): boolean {
    return this.watches.get(hostId)?.fighting ?? false;
  }

  /** A new connection for the host replaced an open one. */
  replaced(hostId: string, oldAddress: string, newAddress: string, now = Date.now()): void {
    let watch = this.watches.get(hostId);
    if (!watch) {
      watch = { times: [], addresses: new Set(), fighting: false, quietTimer: null };
      this.watches.set(hostId, watch);
    }
    watch.times = watch.times.filter((at) => now - at < CONFLICT_WINDOW_MS);
    watch.times.push(now);
    watch.addresses.add(oldAddress).add(newAddress);
    this.armQuiet(hostId, watch);
    if (!watch.fighting && watch.times.length >= CONFLICT_REPLACEMENTS) {
      watch.fighting = true;
      this.listener.began(hostId, [...watch.addresses]);
    }
  }

  /** The host is gone: its watch with it. */
  forget(hostId: string): void {
    const watch = this.watches.get(hostId);
    if (watch?.quietTimer) clearTimeout(watch.quietTimer);
    this.watches.delete(hostId);
  }

  stop(): void {
    for (const hostId of [...this.watches.keys()]) this.forget(hostId);
  }

  private armQuiet(hostId: string, watch: Watch): void {
    if (watch.quietTimer) clearTimeout(watch.quietTimer);
    watch.quietTimer = setTimeout(() => {
      this.watches.delete(hostId);
      if (watch.fighting) this.listener.ended(hostId);
    }, CONFLICT_QUIET_MS);
    watch.quietTimer.unref();
  }
}

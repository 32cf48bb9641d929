// The dashboard's keepalive (docs/protocol.md, "Keepalive and the delivery barrier"): every socket is
// pinged once per interval, and one that has not answered since its last ping is dead (Peer.ping).
// The sockets are pinged in turns spread over the interval rather than all at once: at 10,000 agents
// one round of pings was 10,000 socket writes in one go, which held the hub 0.3 to 0.6 s on a busy
// 2-core machine while every heartbeat and output line waited behind it.

/** Turns per interval: each pings the sockets that hold it. */
export const KEEPALIVE_TURNS = 30;

/** A socket the keepalive pings on its turn. */
export interface KeptAlive {
  readonly keepaliveTurn: number;
  ping(): void;
}

let lastTurnGiven = 0;

/** The turn of a new socket: sockets take them in order, so that the ones that come together (a restart) are pinged apart. */
export function nextKeepaliveTurn(): number {
  lastTurnGiven = (lastTurnGiven + 1) % KEEPALIVE_TURNS;
  return lastTurnGiven;
}

export class Keepalive {
  /** Turns run since the start; turn n is due at startedAt + (n + 1) × turnMs. */
  private turnsRun = 0;
  private readonly startedAt = performance.now();
  private lastTurnAt = Date.now();
  private readonly turnMs: number;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  /** `sockets` lists the open sockets at each turn. */
  constructor(
    intervalMs: number,
    private readonly sockets: () => Iterable<KeptAlive>,
  ) {
    this.turnMs = intervalMs / KEEPALIVE_TURNS;
    this.schedule();
  }

  /** How late the next turn is; a stuck hub shows here. */
  lagMs(now = Date.now()): number {
    return Math.max(0, now - this.lastTurnAt - this.turnMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * Turns keep to a fixed schedule, so that a late timer does not stretch the interval. When the hub
   * was held past several turns, the ones due run together (each socket once, however long the stall).
   */
  private schedule(): void {
    const dueAt = this.startedAt + (this.turnsRun + 1) * this.turnMs;
    this.timer = setTimeout(() => this.runDue(), Math.max(0, dueAt - performance.now()));
  }

  private runDue(): void {
    this.lastTurnAt = Date.now();
    const due = Math.max(this.turnsRun + 1, Math.floor((performance.now() - this.startedAt) / this.turnMs));
    const turns = new Set<number>();
    for (let n = Math.max(this.turnsRun, due - KEEPALIVE_TURNS); n < due; n++) turns.add(n % KEEPALIVE_TURNS);
    this.turnsRun = due;
    this.schedule();
    // Once the frames that came while the hub was busy are read: a peer whose pong waited in the
    // socket behind a stall of the hub is not dead.
    setImmediate(() => {
      if (this.stopped) return;
      for (const socket of this.sockets()) if (turns.has(socket.keepaliveTurn)) socket.ping();
    });
  }
}

// The dashboard's keepalive (docs/protocol.md, "Keepalive and the delivery barrier"): every socket is
// pinged once per interval, and one that has not answered since its last ping is dead (Peer.ping).
// The sockets are pinged in turns spread over the interval rather than all at once: at 10,000 agents
// one round of pings was 10,000 socket writes in one go, which held the hub 0.3 to 0.6 s on a busy
// 2-core machine while every heartbeat and output line waited behind it.

/** Turns per interval: each pings the sockets of one share. */
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
  private turn = 0;
  private lastTurnAt = Date.now();
  private readonly turnMs: number;
  private readonly timer: NodeJS.Timeout;

  /** `sockets` lists the open sockets at each turn. */
  constructor(
    intervalMs: number,
    private readonly sockets: () => Iterable<KeptAlive>,
  ) {
    this.turnMs = intervalMs / KEEPALIVE_TURNS;
    this.timer = setInterval(() => this.nextTurn(), this.turnMs);
  }

  /** How late the next turn is; a stuck hub shows here. */
  lagMs(now = Date.now()): number {
    return Math.max(0, now - this.lastTurnAt - this.turnMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private nextTurn(): void {
    this.lastTurnAt = Date.now();
    const turn = this.turn;
    this.turn = (turn + 1) % KEEPALIVE_TURNS;
    // Once the frames that came while the hub was busy are read: a peer whose pong waited in the
    // socket behind a stall of the hub is not dead.
    setImmediate(() => {
      for (const socket of this.sockets()) if (socket.keepaliveTurn === turn) socket.ping();
    });
  }
}

// New connections, sorted before HTTP sees them: agents' upgrades go on a few per turn of the event
// loop, everything else (browsers, pages, the API) at once.
//
// After a dashboard restart the whole fleet reconnects within seconds, faster than the dashboard can
// take agents in. Taken as they came, each turn of the event loop read, routed and upgraded whatever
// had arrived, turns grew long, and since a listening socket accepts a fixed number of connections
// per turn (wide-accept.ts) the kernel's accept queue overflowed: every connection it dropped, an
// admin's page as much as an agent, waited 1, 3, 7 s for its client to send the SYN again, and the
// ones it kept waited their turn behind the whole fleet. Here a connection's first bytes are read as
// soon as it is accepted; a request for /ws with an agent's token then waits in order, in memory,
// and AGENTS_PER_TURN are let in per turn (so a turn stays short and accepts several), while any
// other request goes straight on: a page reconnecting during the storm is not queued behind the fleet.
import type net from 'node:net';
import type http from 'node:http';
import { API_TOKEN_PREFIX } from '../auth/api-tokens.js';

/** While agents wait, this many are let in per turn of the event loop (see admitDue). */
export const AGENTS_PER_TURN = 4;
/** A connection that has sent no byte within this long is closed (HTTP's own timeouts start after). */
export const FIRST_BYTES_TIMEOUT_MS = 30_000;
/** How far into the request an agent's upgrade is recognized; agents' requests are far shorter. */
const SNIFF_BYTES = 8 * 1024;
const WS_REQUEST = /^GET \/ws[ ?]/;
const BEARER = '\nauthorization: bearer ';

type ConnectionListener = (socket: net.Socket) => void;

/** While the triage holds a connection, its errors (a reset before it was read) only end it. */
function ignoreError(): void {}

/**
 * An agent's upgrade: GET /ws with a bearer token that is not an API token. Anything not recognized
 * goes at once: the triage orders work, it decides nothing (authentication comes after, as ever).
 */
export function isAgentUpgrade(head: Buffer): boolean {
  const text = head.toString('latin1', 0, Math.min(head.length, SNIFF_BYTES));
  if (!WS_REQUEST.test(text)) return false;
  const lower = text.toLowerCase();
  const at = lower.indexOf(BEARER);
  if (at < 0) return false;
  const token = text.slice(at + BEARER.length, at + BEARER.length + API_TOKEN_PREFIX.length);
  return token !== API_TOKEN_PREFIX;
}

export class ConnectionTriage {
  private readonly handOver: ConnectionListener[];
  /** Entries are cleared as they are let in, so a long queue does not hold sockets that HTTP has. */
  private waiting: (net.Socket | null)[] = [];
  private head = 0;
  /** Agents let in during this turn. */
  private admitted = 0;
  private turn: NodeJS.Immediate | null = null;
  /** Accepted connections whose first bytes are awaited, and how to stop awaiting them. */
  private readonly sniffing = new Map<net.Socket, () => void>();
  private closed = false;

  /** Takes over the server's new connections; HTTP gets each once it is its turn. */
  constructor(private readonly server: http.Server) {
    this.handOver = server.listeners('connection') as ConnectionListener[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: net.Socket) => this.take(socket));
  }

  /** Agents' connections waiting for their turn. */
  get waitingCount(): number {
    return this.waiting.length - this.head;
  }

  /**
   * Stopping: every connection held here goes to HTTP now (to be told the dashboard is stopping, or
   * closed with the server), and from now on every connection goes straight on.
   */
  close(): void {
    this.closed = true;
    if (this.turn !== null) clearImmediate(this.turn);
    this.turn = null;
    for (const stopSniffing of this.sniffing.values()) stopSniffing();
    const held = [...this.sniffing.keys(), ...this.waiting.slice(this.head).filter((socket) => socket !== null)];
    this.sniffing.clear();
    this.waiting = [];
    this.head = 0;
    for (const socket of held) this.give(socket);
  }

  private take(socket: net.Socket): void {
    if (this.closed) return this.give(socket);
    socket.on('error', ignoreError);
    const silent = () => socket.destroy();
    const stopSniffing = () => {
      socket.setTimeout(0, silent);
      socket.removeListener('end', silent);
      socket.removeListener('data', onHead);
    };
    const onHead = (head: Buffer) => {
      stopSniffing();
      this.sniffing.delete(socket);
      socket.pause();
      socket.unshift(head);
      if (!isAgentUpgrade(head)) return this.give(socket);
      this.waiting.push(socket);
      this.admitDue();
      this.turn ??= setImmediate(() => this.nextTurn());
    };
    socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, silent);
    // A client that hangs up before sending anything (a TCP health check) is gone at once.
    socket.once('end', silent);
    socket.once('data', onHead);
    socket.once('close', () => this.sniffing.delete(socket));
    this.sniffing.set(socket, stopSniffing);
  }

  /** HTTP takes the connection (with its first bytes put back) from here, errors and all. */
  private give(socket: net.Socket): void {
    socket.removeListener('error', ignoreError);
    if (socket.destroyed) return;
    for (const listener of this.handOver) listener.call(this.server, socket);
    socket.resume();
  }

  private nextTurn(): void {
    this.turn = null;
    this.admitted = 0;
    this.admitDue();
    if (this.waitingCount > 0) this.turn = setImmediate(() => this.nextTurn());
  }

  /**
   * Lets the next agents in, up to AGENTS_PER_TURN this turn: a turn then holds a few agents'
   * upgrades (and the registers of those before them) and the dashboard accepts more connections per
   * turn, so the kernel's queue empties faster than agents are let in, and a page arriving meanwhile
   * is accepted and answered within a few turns.
   */
  private admitDue(): void {
    while (this.admitted < AGENTS_PER_TURN && this.head < this.waiting.length) {
      const socket = this.waiting[this.head] as net.Socket;
      this.waiting[this.head++] = null;
      if (socket.destroyed) continue;
      this.admitted += 1;
      this.give(socket);
    }
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    }
  }
}

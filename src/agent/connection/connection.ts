// The agent's one WebSocket to the dashboard: connect with the token, reconnect with backoff after
// any loss, and notice a dashboard that went silent without closing (a dead peer or a cut network).
//
// Liveness does not depend on how often the dashboard pings: the agent pings too, a few times per
// dead-after period, and any frame, ping or pong from the dashboard counts as alive.
//
// It knows nothing of registration or commands: the agent is told when a socket opens, what arrives
// and when it closes. It also offers a delivery barrier: a ping whose pong proves that the dashboard
// has read every frame sent before it, which is how output is known to be delivered.
import WebSocket from 'ws';
import type { Logger } from 'pino';
import type { AgentToDashboardMessage } from '../../protocol/agent.js';
import { CloseCode } from '../../protocol/constants.js';
import { backoffDelayMs, type BackoffPolicy } from './backoff.js';
import { decodeInbound, type Inbound } from './inbound.js';
import { describeConnectError } from './connect-error.js';

/** A dashboard that accepts TCP but never completes the upgrade is given up after this. */
const HANDSHAKE_TIMEOUT_MS = 15_000;
/** A graceful close that the dashboard does not answer is cut after this. */
const CLOSE_WAIT_MS = 1_000;
/** Incoming frames are small commands; anything larger is a confused peer. */
const MAX_INBOUND_BYTES = 1024 * 1024;
/** Keepalive pings per dead-after period: a lost pong or two is not yet a dead dashboard. */
const PINGS_PER_DEAD_PERIOD = 3;

export interface ConnectionHandlers {
  /** A new socket is open; the agent must register on it before anything else. */
  opened(): void;
  message(message: Inbound): void;
  closed(code: number, reason: string): void;
}

export interface ConnectionOptions {
  url: string;
  token: string;
  backoff: BackoffPolicy;
  deadAfterMs: number;
  userAgent: string;
  log: Logger;
}

export class DashboardConnection {
  private socket: WebSocket | null = null;
  private attempt = 0;
  /**
   * Closes in a row that said another connection took this host (4001): another agent process has
   * this hostname. Each waits longer, whatever registrations came between, so two agents with one
   * hostname take turns slowly instead of replacing each other twice a second.
   */
  private replacedInARow = 0;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private deadTimer: NodeJS.Timeout | null = null;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  /** Barriers waiting for their pong, by ping payload. */
  private readonly barriers = new Map<string, (delivered: boolean) => void>();
  private barrierCounter = 0;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly handlers: ConnectionHandlers,
  ) {}

  start(): void {
    this.connect();
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  get queuedBytes(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  /** Queues one frame; false when there is no open socket (the caller keeps what must not be lost). */
  send(message: AgentToDashboardMessage): boolean {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /**
   * Resolves true once the dashboard has read every frame sent before this call (its pong to our
   * ping came back: one TCP stream, read in order), false when the socket is lost first.
   */
  barrier(): Promise<boolean> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.resolve(false);
    this.barrierCounter += 1;
    const id = `b${this.barrierCounter}`;
    return new Promise((resolve) => {
      this.barriers.set(id, resolve);
      socket.ping(id);
    });
  }

  /** Gives up the current socket (the dashboard does not behave); the usual reconnect follows. */
  drop(why: string): void {
    this.options.log.warn({ why }, 'dropping the connection');
    this.socket?.terminate();
  }

  /** The dashboard accepted this agent: the next loss starts the backoff from the bottom again. */
  markHealthy(): void {
    this.attempt = 0;
  }

  /** Closes for good (shutdown): no reconnect. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    if (!socket) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.close(CloseCode.normal, 'agent stopping');
    const timer = setTimeout(() => socket.terminate(), CLOSE_WAIT_MS);
    await closed;
    clearTimeout(timer);
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.stopped) return;
    const { url, token, userAgent, log } = this.options;
    const socket = new WebSocket(url, {
      headers: { authorization: `Bearer ${token}`, 'user-agent': userAgent },
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      maxPayload: MAX_INBOUND_BYTES,
      perMessageDeflate: false,
    });
    this.socket = socket;
    socket.on('open', () => {
      log.info({ url }, 'connected to the dashboard');
      this.touch();
      this.keepaliveTimer = setInterval(() => socket.ping(), this.options.deadAfterMs / PINGS_PER_DEAD_PERIOD);
      this.handlers.opened();
    });
    socket.on('message', (data, isBinary) => {
      this.touch();
      if (isBinary) return;
      const decoded = decodeInbound(data.toString());
      if (!decoded.ok) {
        log.warn({ reason: decoded.reason }, 'ignored a frame from the dashboard');
        return;
      }
      this.handlers.message(decoded.message);
    });
    socket.on('ping', () => this.touch());
    socket.on('pong', (data) => {
      this.touch();
      const id = data.toString();
      this.barriers.get(id)?.(true);
      this.barriers.delete(id);
    });
    socket.on('error', (err) => {
      log.warn({ err: err.message }, describeConnectError(url, err));
    });
    socket.on('close', (code, reason) => this.onClose(socket, code, reason.toString()));
  }

  private onClose(socket: WebSocket, code: number, reason: string): void {
    if (this.socket !== socket) return;
    this.socket = null;
    if (this.deadTimer) clearTimeout(this.deadTimer);
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.deadTimer = null;
    this.keepaliveTimer = null;
    for (const resolve of this.barriers.values()) resolve(false);
    this.barriers.clear();
    this.handlers.closed(code, reason);
    if (this.stopped) return;
    this.replacedInARow = code === CloseCode.replaced ? this.replacedInARow + 1 : 0;
    const attempt = Math.max(this.attempt, this.replacedInARow);
    const delayMs = backoffDelayMs(attempt, this.options.backoff);
    this.attempt = attempt + 1;
    this.options.log.info({ code, reason, delayMs, attempt: this.attempt, replacedInARow: this.replacedInARow }, 'disconnected; reconnecting');
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  /** Any sign of life from the dashboard pushes the dead-dashboard deadline back. */
  private touch(): void {
    if (this.deadTimer) {
      this.deadTimer.refresh();
      return;
    }
    const socket = this.socket;
    this.deadTimer = setTimeout(() => {
      this.deadTimer = null;
      if (this.socket !== socket || !socket) return;
      this.options.log.warn({ silentMs: this.options.deadAfterMs }, 'the dashboard went silent; reconnecting');
      socket.terminate();
    }, this.options.deadAfterMs);
  }
}

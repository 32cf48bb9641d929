// The dashboard's WebSocket as a browser sees it (docs/protocol.md), opened with the API token: `init`,
// then versioned state changes and live output. A gap in the versions asks for the state again; a
// lost connection is opened again, and either way the listener gets a fresh `init` to catch up from.
import WebSocket from 'ws';
import { CloseCode } from '../protocol/constants.js';
import type { BrowserToDashboardMessage, CommandOutputPayload, DashboardToBrowserMessage, InitPayload } from '../protocol/browser.js';
import type { Command } from '../protocol/model.js';
import type { Rollout } from '../protocol/rollout.js';
import { CliError, EXIT_DENIED, EXIT_UNAVAILABLE } from './errors.js';
import type { Settings } from './settings.js';

/** How often this end checks that the dashboard is still there (it answers a ping at once). */
export const SOCKET_PING_INTERVAL_MS = 15_000;
/** Waits between attempts to open the socket again, growing to the maximum. */
export const RECONNECT_MIN_MS = 250;
export const RECONNECT_MAX_MS = 5_000;
/** A connection lost for longer than this is given up (a dashboard restart takes seconds). */
export const RECONNECT_GIVE_UP_MS = 120_000;
/** An opening the dashboard (or a proxy before it) takes in but never answers is given up after this. */
export const SOCKET_HANDSHAKE_MS = 10_000;

export interface SocketListener {
  /** The whole state: when the socket opens (`first`), after a reconnect and after a resync. */
  init(payload: InitPayload, how: 'first' | 'reconnect' | 'resync'): void;
  command(command: Command): void;
  output(payload: CommandOutputPayload): void;
  rollout(rollout: Rollout, delta: boolean): void;
  /** An `error` frame: `unknown_command` answers a `get_output` for an id the dashboard does not know. */
  error(code: string, message: string): void;
}

export class DashboardSocket {
  private ws: WebSocket | null = null;
  private version = -1;
  private resyncing = false;
  private closedByUs = false;
  private lostSince: number | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private alive = true;
  private fail!: (error: CliError) => void;
  /** Rejects when the connection is gone for good: the token was revoked, or it could not be opened again. */
  readonly failed: Promise<never>;

  private constructor(
    private readonly settings: Settings,
    private readonly listener: SocketListener,
  ) {
    this.failed = new Promise<never>((_resolve, reject) => (this.fail = reject));
    // Nobody may be waiting on it yet (or ever, once the work is done).
    this.failed.catch(() => undefined);
  }

  /** Opens the socket and resolves once its first `init` was handed to the listener. */
  static async open(settings: Settings, listener: SocketListener): Promise<DashboardSocket> {
    const socket = new DashboardSocket(settings, listener);
    await new Promise<void>((resolve, reject) => {
      socket.connect((error) => (error ? reject(error) : resolve()));
    });
    return socket;
  }

  /** Sent now, or dropped while the socket is being opened again: the next `init` makes the listener ask again. */
  send(message: BrowserToDashboardMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  close(): void {
    this.closedByUs = true;
    this.stopTimers();
    this.ws?.close(CloseCode.normal);
    this.ws = null;
  }

  /** `opened` (the first attempt only) is told of the first `init`, or of why there was none. */
  private connect(opened?: (error?: CliError) => void): void {
    const ws = new WebSocket(this.settings.wsUrl, { headers: { authorization: `Bearer ${this.settings.token}` }, handshakeTimeout: SOCKET_HANDSHAKE_MS });
    this.ws = ws;
    const firstAttempt = opened !== undefined;
    let initSeen = false;
    let refusedOverHttp = false;
    const report = (error?: CliError) => {
      opened?.(error);
      opened = undefined;
    };
    ws.on('unexpected-response', (_request, response) => {
      refusedOverHttp = true;
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.once('close', () => {
        ws.terminate();
        this.refused(response.statusCode ?? 0, text, firstAttempt ? report : undefined);
      });
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      // Later attempts: the close that follows decides.
      if (firstAttempt) report(new CliError(`cannot open the dashboard's socket at ${this.settings.wsUrl}: ${err.code ?? err.message}`, 'unreachable', EXIT_UNAVAILABLE));
    });
    ws.on('open', () => {
      this.alive = true;
      this.startPings(ws);
    });
    ws.on('pong', () => (this.alive = true));
    ws.on('ping', () => (this.alive = true));
    ws.on('message', (data) => {
      this.alive = true;
      const message = parse(data.toString());
      if (!message) return;
      if (message.type === 'init') {
        const how = !initSeen && firstAttempt ? 'first' : this.resyncing ? 'resync' : 'reconnect';
        initSeen = true;
        this.lostSince = null;
        this.version = message.payload.version;
        this.resyncing = false;
        this.listener.init(message.payload, how);
        report();
        return;
      }
      if (initSeen) this.dispatch(message);
    });
    ws.on('close', (code, reason) => {
      this.stopTimers();
      if (this.closedByUs || this.ws !== ws || refusedOverHttp) return;
      // A resync asked on this socket dies with it: the next socket's init is a reconnect, after which
      // whatever was asked here is asked again.
      this.resyncing = false;
      if (firstAttempt && !initSeen) {
        report(new CliError(`the dashboard closed its socket before sending its state (${code})`, 'unreachable', EXIT_UNAVAILABLE));
        return;
      }
      this.lost(code, reason.toString());
    });
  }

  private dispatch(message: DashboardToBrowserMessage): void {
    if ('version' in message) {
      if (this.resyncing) return;
      if (message.version !== this.version + 1) {
        // A message was missed: what follows cannot be applied; the state is asked for again.
        this.resyncing = true;
        this.send({ type: 'get_state', payload: {} });
        return;
      }
      this.version = message.version;
    }
    switch (message.type) {
      case 'command_queued':
      case 'command_update':
        return this.listener.command(message.payload.command);
      case 'rollout_update':
        return this.listener.rollout(message.payload.rollout, message.payload.delta);
      case 'command_output':
        return this.listener.output(message.payload);
      case 'error':
        return this.listener.error(message.payload.code, message.payload.message);
      default:
        return;
    }
  }

  /** The upgrade was answered with an HTTP error. */
  private refused(status: number, text: string, opened?: (error?: CliError) => void): void {
    let message = text;
    try {
      message = String((JSON.parse(text) as { message?: unknown }).message ?? text);
    } catch {
      // Not the dashboard's JSON: a proxy's page. Its status says enough.
    }
    if (status === 401 || status === 403) {
      const error = new CliError(`the dashboard refused the API token on its socket (${message || `HTTP ${status}`}): check NIXFLEET_API_TOKEN`, 'unauthorized', EXIT_DENIED);
      if (opened) return opened(error);
      this.giveUp(error);
      return;
    }
    const error = new CliError(`the dashboard's socket at ${this.settings.wsUrl} answered HTTP ${status}${message ? `: ${message}` : ''}`, 'unreachable', EXIT_UNAVAILABLE);
    if (opened) return opened(error);
    this.retryLater();
  }

  private lost(code: number, reason: string): void {
    if (code === CloseCode.sessionEnded) {
      return this.giveUp(new CliError('the API token was revoked while this ran', 'revoked', EXIT_DENIED));
    }
    if (code === CloseCode.policyViolation) {
      return this.giveUp(new CliError(`the dashboard closed the socket: ${reason || 'policy violation'}`, 'closed', EXIT_UNAVAILABLE));
    }
    this.retryLater();
  }

  private retryLater(): void {
    const now = Date.now();
    this.lostSince ??= now;
    const lostForMs = now - this.lostSince;
    if (lostForMs > RECONNECT_GIVE_UP_MS) {
      return this.giveUp(new CliError(`lost the connection to the dashboard and could not open it again within ${RECONNECT_GIVE_UP_MS / 1000} s`, 'unreachable', EXIT_UNAVAILABLE));
    }
    const waitMs = Math.min(RECONNECT_MAX_MS, Math.max(RECONNECT_MIN_MS, lostForMs));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closedByUs) this.connect();
    }, waitMs);
  }

  private giveUp(error: CliError): void {
    this.close();
    this.fail(error);
  }

  private startPings(ws: WebSocket): void {
    this.pingTimer = setInterval(() => {
      if (!this.alive) {
        ws.terminate(); // No sign of life for a whole interval: the close handler opens it again.
        return;
      }
      this.alive = false;
      ws.ping();
    }, SOCKET_PING_INTERVAL_MS);
  }

  private stopTimers(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.pingTimer = null;
    this.retryTimer = null;
  }
}

function parse(text: string): DashboardToBrowserMessage | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') return null;
    return value as DashboardToBrowserMessage;
  } catch {
    return null;
  }
}

// The browser's one WebSocket to the dashboard (/ws, same origin, the session cookie authenticates
// it). It reconnects by itself with backoff and says why it is down; what messages mean is decided
// by state/apply-message.ts. A session that ended (close 4003, or an upgrade refused because the
// cookie expired) ends here: the page goes to the login form.
import type { BrowserToDashboardMessage, DashboardToBrowserMessage } from '../../protocol/browser.js';
import { CloseCode } from '../../protocol/constants.js';
import { Cell } from '../state/observable.js';
import { retryDelayMs } from './backoff.js';

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'waiting'; retryAt: number; reason: string }
  | { kind: 'ended' };

export interface SocketHandlers {
  onMessage(message: DashboardToBrowserMessage): void;
  /** The socket is gone for good: the session ended. */
  onSessionEnded(): void;
  /** Asked when an upgrade failed before opening: is the session still alive (else the cookie expired)? */
  sessionAlive(): Promise<boolean>;
}

const CLOSE_REASONS: Record<number, string> = {
  [CloseCode.goingAway]: 'the dashboard restarted',
  [CloseCode.slowConsumer]: 'this page fell behind the live stream',
  [CloseCode.policyViolation]: 'the dashboard refused a message',
  1006: 'the connection was lost',
};

export class DashboardSocket {
  readonly state = new Cell<ConnectionState>({ kind: 'connecting' });
  private socket: WebSocket | null = null;
  /** Failed attempts since the last message received; sets the backoff. */
  private failures = 0;
  private retryTimer: number | null = null;

  constructor(
    private readonly url: string,
    private readonly handlers: SocketHandlers,
  ) {}

  start(): void {
    window.addEventListener('online', () => this.retryNow());
    this.connect();
  }

  /** Sends a message if the socket is open; false when it is not (the caller asks again on reconnect). */
  send(message: BrowserToDashboardMessage): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Skips the rest of the backoff wait. */
  retryNow(): void {
    if (this.state.value.kind !== 'waiting') return;
    this.connect();
  }

  private connect(): void {
    if (this.retryTimer !== null) window.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.state.set({ kind: 'connecting' });
    const socket = new WebSocket(this.url);
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.state.set({ kind: 'open' });
    };
    socket.onmessage = (event: MessageEvent<unknown>) => {
      this.failures = 0;
      const message = parseMessage(event.data);
      if (message) this.handlers.onMessage(message);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      void this.closed(event.code, opened);
    };
  }

  private async closed(code: number, opened: boolean): Promise<void> {
    if (code === CloseCode.sessionEnded) return this.end();
    // A refused upgrade shows only as 1006; the likeliest cause worth acting on is an expired session.
    if (!opened && !(await this.handlers.sessionAlive())) return this.end();
    const delayMs = retryDelayMs(this.failures++);
    this.state.set({ kind: 'waiting', retryAt: Date.now() + delayMs, reason: CLOSE_REASONS[code] ?? `the socket closed (${code})` });
    this.retryTimer = window.setTimeout(() => this.connect(), delayMs);
  }

  private end(): void {
    this.state.set({ kind: 'ended' });
    this.handlers.onSessionEnded();
  }
}

/** The dashboard validates what it sends; this only guards against a frame that is not an envelope. */
function parseMessage(data: unknown): DashboardToBrowserMessage | null {
  if (typeof data !== 'string') return null;
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value !== 'object' || value === null) return null;
    const { type, payload } = value as Record<string, unknown>;
    if (typeof type !== 'string' || typeof payload !== 'object' || payload === null) return null;
    return value as DashboardToBrowserMessage;
  } catch {
    return null;
  }
}

// Real WebSocket peers for tests: an agent with its bearer token, a browser with its session cookie.
import type net from 'node:net';
import WebSocket from 'ws';
import { TEST_AGENT_TOKEN, type Session } from './dashboard.js';

export interface Message {
  type: string;
  payload: Record<string, unknown>;
  version?: number;
  /** When the frame arrived (performance.now()). */
  receivedAt: number;
}

export const WAIT_MS = 5_000;

export class TestSocket {
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private cursor = 0;
  private listeners: (() => void)[] = [];
  /** Set once the socket closed: no message comes after it, so a wait for one fails then. */
  private closedWith: string | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const parsed = JSON.parse(data.toString()) as Omit<Message, 'receivedAt'>;
      this.messages.push({ ...parsed, receivedAt: performance.now() });
      for (const listener of this.listeners) listener();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closedWith = `${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`;
        for (const listener of this.listeners) listener();
        resolve({ code, reason: reason.toString() });
      }),
    );
  }

  static connect(url: string, headers: Record<string, string>, options: WebSocket.ClientOptions = {}): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, ...options });
      const socket = new TestSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** The TCP connection under the socket (ws keeps it private): to pause it, cut it, or count its bytes. */
  get tcp(): net.Socket {
    return (this.ws as unknown as { _socket: net.Socket })._socket;
  }

  send(type: string, payload: unknown): void {
    this.ws.send(JSON.stringify({ type, payload }));
  }

  sendRaw(data: string | Buffer, options: { binary?: boolean } = {}): void {
    this.ws.send(data, { binary: options.binary ?? false });
  }

  /** The next message (after the ones already taken) that matches; later ones stay for the next call. */
  next(match: string | ((m: Message) => boolean), timeoutMs = WAIT_MS): Promise<Message> {
    const test = typeof match === 'string' ? (m: Message) => m.type === match : match;
    return this.until(() => {
      for (let i = this.cursor; i < this.messages.length; i++) {
        const message = this.messages[i] as Message;
        if (test(message)) {
          this.cursor = i + 1;
          return message;
        }
      }
      return undefined;
    }, timeoutMs, `no message matching ${String(match)}`);
  }

  /**
   * Resolves once `check` returns a value, re-checking on every message; rejects after `timeoutMs`, or
   * at once when the socket has closed without it (nothing can arrive after that).
   */
  until<T>(check: () => T | undefined, timeoutMs = WAIT_MS, what = 'condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      const closedError = () => new Error(`the socket closed (${this.closedWith}) while waiting for ${what}`);
      const first = check();
      if (first !== undefined) return resolve(first);
      if (this.closedWith !== null) return reject(closedError());
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const listener = () => {
        const value = check();
        if (value === undefined && this.closedWith === null) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        if (value !== undefined) resolve(value);
        else reject(closedError());
      };
      this.listeners.push(listener);
    });
  }

  /** Resolves on the pong of a ping sent now: the server has sent everything it sent before that pong. */
  barrier(timeoutMs = WAIT_MS): Promise<void> {
    const id = `barrier-${Math.random()}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no pong within ${timeoutMs} ms`)), timeoutMs);
      const onPong = (data: Buffer) => {
        if (data.toString() !== id) return;
        clearTimeout(timer);
        this.ws.off('pong', onPong);
        resolve();
      };
      this.ws.on('pong', onPong);
      this.ws.ping(id);
    });
  }

  ofType(type: string): Message[] {
    return this.messages.filter((m) => m.type === type);
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

/** Tries an upgrade and returns the HTTP status it was refused with (101 when it was accepted). */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

export function registerPayload(hostname: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hostname,
    host_type: 'nixos',
    agent_version: '2.1.0',
    os_version: 'NixOS 25.05',
    nixpkgs_version: '25.05.20250101',
    generation: 'abc1234',
    theme_color: '#3366cc',
    heartbeat_interval: 5,
    location: 'home',
    device_type: 'server',
    repo_url: 'git@example.org:fleet.git',
    repo_dir: '/etc/nixos',
    ...extra,
  };
}

/** Connects an agent and registers `hostname`; v1 unless `extra` says otherwise. */
export async function connectAgent(
  wsUrl: string,
  hostname: string,
  extra: Record<string, unknown> = { protocol_version: 1, running: null },
  options: WebSocket.ClientOptions = {},
): Promise<TestSocket> {
  const agent = await TestSocket.connect(wsUrl, { authorization: `Bearer ${TEST_AGENT_TOKEN}` }, options);
  agent.send('register', registerPayload(hostname, extra));
  await agent.next('registered');
  return agent;
}

/** Connects a browser with the session's cookie and waits for `init`. */
export async function connectBrowser(
  wsUrl: string,
  session: Session,
  headers: Record<string, string> = {},
  options: WebSocket.ClientOptions = {},
): Promise<TestSocket> {
  const browser = await TestSocket.connect(wsUrl, { cookie: session.cookie, ...headers }, options);
  await browser.next('init');
  return browser;
}

export function heartbeatPayload(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    generation: 'abc1234',
    nixpkgs_version: '25.05.20250101',
    pending_command: null,
    command_pid: null,
    metrics: { cpu: 12.5, ram: 40.1, swap: 0, load: 0.42 },
    update_status: {
      git: { status: 'ok', message: 'up to date', checked_at: '2026-11-26T10:00:00Z' },
      lock: { status: 'ok', message: '', checked_at: null },
      system: { status: 'outdated', message: 'new generation available', checked_at: '2026-11-26T10:00:00Z' },
      tests: { status: 'unknown', message: '', checked_at: null },
    },
    lock_hash: 'deadbeef',
    ...extra,
  };
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(check: () => T | undefined, timeoutMs = WAIT_MS, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// A WebSocket relay between agents and the real dashboard that keeps every frame an agent sends, so
// a test reads what the agent said (its register and heartbeats) rather than what the dashboard
// chose to keep of it. Pings go through too, so the agent's delivery barriers still prove that the
// dashboard itself has read its frames.
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import type { AddressInfo } from 'node:net';

export interface TappedFrame {
  /** The hostname the agent registered with on this connection. */
  host: string;
  type: string;
  payload: Record<string, unknown>;
  /** When it passed (performance.now()). */
  at: number;
}

export class FrameTap {
  readonly frames: TappedFrame[] = [];
  private readonly sockets = new Set<WebSocket>();

  private constructor(private readonly server: WebSocketServer) {}

  static async start(dashboardWsUrl: string): Promise<FrameTap> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
    const tap = new FrameTap(server);
    server.on('connection', (agent, request) => tap.relay(agent, dashboardWsUrl, request.headers));
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return tap;
  }

  /** Where an agent connects (NIXFLEET_URL). */
  get wsUrl(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws`;
  }

  /** The frames of `type` that `host`'s agents sent, oldest first. */
  of(host: string, type: string): TappedFrame[] {
    return this.frames.filter((f) => f.host === host && f.type === type);
  }

  /** The first frame of `type` that the same host sent after `frame`. */
  after(frame: TappedFrame, type: string): TappedFrame | undefined {
    return this.frames.slice(this.frames.indexOf(frame) + 1).find((f) => f.host === frame.host && f.type === type);
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(agent: WebSocket, target: string, headers: Record<string, string | string[] | undefined>): void {
    const forwarded: Record<string, string> = {};
    for (const name of ['authorization', 'user-agent']) {
      const value = headers[name];
      if (typeof value === 'string') forwarded[name] = value;
    }
    const dashboard = new WebSocket(target, { headers: forwarded, autoPong: false });
    this.sockets.add(agent);
    this.sockets.add(dashboard);
    const early: { data: RawData; binary: boolean }[] = [];
    let host = '';
    agent.on('message', (data, binary) => {
      const frame = JSON.parse(data.toString()) as { type: string; payload: Record<string, unknown> };
      if (frame.type === 'register') host = String(frame.payload.hostname);
      this.frames.push({ host, type: frame.type, payload: frame.payload, at: performance.now() });
      if (dashboard.readyState === WebSocket.OPEN) dashboard.send(data, { binary });
      else early.push({ data, binary });
    });
    dashboard.once('open', () => {
      for (const { data, binary } of early.splice(0)) dashboard.send(data, { binary });
    });
    dashboard.on('message', (data, binary) => {
      if (agent.readyState === WebSocket.OPEN) agent.send(data, { binary });
    });
    agent.on('ping', (data) => dashboard.readyState === WebSocket.OPEN && dashboard.ping(data));
    dashboard.on('pong', (data) => agent.readyState === WebSocket.OPEN && agent.pong(data));
    dashboard.on('ping', (data) => agent.readyState === WebSocket.OPEN && agent.ping(data));
    agent.on('pong', (data) => dashboard.readyState === WebSocket.OPEN && dashboard.pong(data));
    const end = () => {
      agent.terminate();
      dashboard.terminate();
      this.sockets.delete(agent);
      this.sockets.delete(dashboard);
    };
    agent.on('close', end);
    dashboard.on('close', end);
    agent.on('error', end);
    dashboard.on('error', end);
  }
}

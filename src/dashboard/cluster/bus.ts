// The cluster bus: Redis publish/subscribe between the instances of one cluster. A message is a
// small JSON header and an opaque body (frames, output, HTTP bodies) in one Redis message. Redis
// delivers each publisher's messages in order but keeps nothing for a subscriber that was away, so
// the links above (edge.ts, edge-links.ts) number their messages and resync on a gap.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface BusHeader {
  t: string;
  [field: string]: unknown;
}

export type BusHandler = (header: BusHeader, body: Buffer) => void;

const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

/** JSON never holds a raw newline, so the first one ends the header. */
export function encodeBusMessage(header: BusHeader, body: Buffer = EMPTY): Buffer {
  return Buffer.concat([Buffer.from(JSON.stringify(header)), Buffer.from([NEWLINE]), body]);
}

export function decodeBusMessage(message: Buffer): { header: BusHeader; body: Buffer } | null {
  const end = message.indexOf(NEWLINE);
  if (end < 0) return null;
  try {
    const header = JSON.parse(message.subarray(0, end).toString()) as unknown;
    if (typeof header !== 'object' || header === null || typeof (header as BusHeader).t !== 'string') return null;
    return { header: header as BusHeader, body: message.subarray(end + 1) };
  } catch {
    return null;
  }
}

export class Bus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, BusHandler>();
  private readonly listeners: ((up: boolean) => void)[] = [];
  private up = false;
  private closed = false;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    // Publishing fails at once while Redis is away (no offline queue): the links resync afterwards
    // rather than have old frames arrive late. Subscriptions are renewed by ioredis on reconnect.
    // Auto-pipelining writes the messages of one turn of the event loop to Redis in one go.
    this.pub = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, enableAutoPipelining: true });
    this.sub = new Redis(url, { autoResubscribe: true, maxRetriesPerRequest: null });
    for (const client of [this.pub, this.sub]) {
      client.on('ready', () => this.changed());
      client.on('close', () => this.changed());
      client.on('error', (err: Error) => this.log.debug({ err }, 'cluster bus: redis error'));
    }
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      const handler = this.handlers.get(channel.toString());
      const decoded = decodeBusMessage(message);
      if (handler && decoded) handler(decoded.header, decoded.body);
    });
  }

  /** Both connections are ready: what is published now is delivered to those subscribed now. */
  get connected(): boolean {
    return this.up;
  }

  /** Told when the bus goes down or comes back. */
  onChange(listener: (up: boolean) => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    const up = !this.closed && this.pub.status === 'ready' && this.sub.status === 'ready';
    if (up === this.up) return;
    this.up = up;
    this.log[up ? 'info' : 'warn']({ bus: up ? 'connected' : 'disconnected' }, up ? 'cluster bus connected' : 'cluster bus lost; reconnecting');
    for (const listener of this.listeners) listener(up);
  }

  async subscribe(name: string, handler: BusHandler): Promise<void> {
    const channel = `${this.prefix}:${name}`;
    this.handlers.set(channel, handler);
    await this.sub.subscribe(channel);
  }

  /** Stops handing on the channel's messages at once; Redis is told when it can be. */
  unsubscribe(name: string): void {
    const channel = `${this.prefix}:${name}`;
    this.handlers.delete(channel);
    this.sub.unsubscribe(channel).catch(() => undefined);
  }

  /** Returns false when the bus is down (the message is not sent). */
  publish(name: string, header: BusHeader, body?: Buffer): boolean {
    if (!this.up) return false;
    this.pub.publish(`${this.prefix}:${name}`, encodeBusMessage(header, body)).catch((err: Error) => {
      this.log.debug({ err }, 'cluster bus: publish failed');
    });
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.changed();
    this.pub.disconnect();
    this.sub.disconnect();
  }
}

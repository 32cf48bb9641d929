// A socket another instance holds, as the instance that keeps the fleet sees it: what is sent to it
// goes over the link to that instance, which writes it to the socket (edge.ts). Keepalive and the
// outbound byte cap are the holding instance's: it has the socket.
import { ErrorCode, type ErrorCodeValue } from '../../protocol/constants.js';
import { NO_BROWSER, rejectBadFrame, type BrowserForms, type FanoutMember, type FlushFrames, type InitToSend, type PeerKind, type PeerLike, type PeerObserver } from '../hub/peer.js';
import type { BusHeader } from './bus.js';

/** The link to one instance's edge: messages in order, or false once it is down. */
export interface EdgeChannel {
  readonly up: boolean;
  /** That instance's browsers as this one knows them (from `open` to `gone`), by the form of output they take. */
  readonly browsers: BrowserForms;
  send(header: BusHeader, body?: Buffer): boolean;
  /** An `init` for one browser; the instance starts passing the fan-out on to it after this. */
  sendInit(conn: string, body: Buffer): boolean;
}

export class RemotePeer implements PeerLike {
  alive = true;
  /** Its instance's relay stands for it in the fan-out. */
  readonly browsers = NO_BROWSER;
  private closed = false;
  private readonly badFrameTimes: number[] = [];

  constructor(
    readonly kind: PeerKind,
    readonly address: string,
    /** The socket's id on its instance. */
    private readonly conn: string,
    private readonly link: EdgeChannel,
    private readonly observer: PeerObserver,
    readonly relay?: FanoutMember,
  ) {}

  get open(): boolean {
    return !this.closed && this.link.up;
  }

  get overCap(): boolean {
    return false;
  }

  acceptsMore(): boolean {
    return this.open;
  }

  /** Fan-out reaches a remote browser through its instance's relay, never one by one. */
  writeFlush(): void {}

  send(message: Buffer): boolean {
    return this.open && this.link.send({ t: 'send', conn: this.conn }, message);
  }

  sendMessage(message: { type: string; payload: object }): boolean {
    const sent = this.open && this.link.send({ t: 'send', conn: this.conn }, Buffer.from(JSON.stringify(message)));
    if (sent) this.observer.sent(this.kind, message.type);
    return sent;
  }

  /**
   * After `init` the holding instance passes the fan-out on to this browser (see edge.ts). What was
   * published since the init was built would follow it one message at a time, in order on the link;
   * the fan-out gives another instance's browsers a new init with nothing after it instead.
   */
  sendInit(init: InitToSend): boolean {
    const sent = this.open && this.link.sendInit(this.conn, init.body);
    if (!sent) return false;
    this.observer.sent(this.kind, 'init');
    return init.since.every((message) => this.send(typeof message === 'string' ? Buffer.from(message) : message));
  }

  sendError(code: ErrorCodeValue, message: string): void {
    this.sendMessage({ type: 'error', payload: { code, message } });
  }

  rejectFrame(reason: string, code: ErrorCodeValue = ErrorCode.badMessage, now = Date.now()): boolean {
    return rejectBadFrame(this, this.badFrameTimes, this.observer, reason, code, now);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.observer.closed(this.kind, code);
    this.link.send({ t: 'close', conn: this.conn, code, reason });
  }

  pong(data: Buffer): void {
    if (this.open) this.link.send({ t: 'pong', conn: this.conn }, data);
  }

  ping(): void {}

  /** Its socket closed on the holding instance, or the link to it was lost. */
  gone(): void {
    this.closed = true;
  }
}

/** The fan-out's member for all the browsers of one instance: each flush crosses the link once. */
export class FanoutRelay implements FanoutMember {
  constructor(private readonly link: EdgeChannel) {}

  get browsers(): BrowserForms {
    return this.link.browsers;
  }

  get overCap(): boolean {
    return false;
  }

  acceptsMore(): boolean {
    return this.link.up;
  }

  /**
   * The form each of the instance's browsers takes, once, marked with the browsers it is for; unmarked
   * when every browser there takes the same bytes (both kinds, and the flush batched nothing). Both
   * forms cross only to an instance that holds browsers of both kinds, for a flush that batched output.
   */
  writeFlush(frames: FlushFrames): void {
    const { plain: plainBrowsers, batching } = this.link.browsers;
    const plain = plainBrowsers > 0 ? frames.plain() : null;
    const batched = batching > 0 ? frames.batched() : null;
    if (plain !== null && plain === batched) {
      this.link.send({ t: 'frames' }, plain);
      return;
    }
    if (plain !== null) this.link.send({ t: 'frames', for: 'plain' }, plain);
    if (batched !== null) this.link.send({ t: 'frames', for: 'batched' }, batched);
  }
}

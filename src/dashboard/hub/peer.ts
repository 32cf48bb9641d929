// One open WebSocket, agent or browser: its ordered outbound queue with a byte cap, its keepalive
// state and its tolerance for bad frames. What the frames mean is decided elsewhere.
import type net from 'node:net';
import WebSocket from 'ws';
import { CloseCode, ErrorCode, type ErrorCodeValue } from '../../protocol/constants.js';
import { nextKeepaliveTurn, type KeptAlive } from './keepalive.js';

export type PeerKind = 'agent' | 'browser';

/** Bad frames a peer may send within the window before it is closed with 1008. */
export const BAD_FRAMES_BEFORE_CLOSE = 10;
export const BAD_FRAME_WINDOW_MS = 60_000;

/** Told what happens on peers, for the metrics. */
export interface PeerObserver {
  sent(kind: PeerKind, type: string): void;
  rejected(kind: PeerKind, code: string): void;
  closed(kind: PeerKind, code: number): void;
}

export interface PeerOptions {
  kind: PeerKind;
  address: string;
  /** Outbound bytes the peer may fall behind before it is cut with 4008. */
  queueCapBytes: number;
  observer: PeerObserver;
  /** A browser that asked for `output_batch` messages (OUTPUT_BATCH_QUERY). */
  batchesOutput?: boolean;
}

/**
 * What the connection classes and the fan-out need of a peer. A `Peer` is a socket of this process;
 * in a cluster, a socket held by another instance is a `RemotePeer` (cluster/remote-peer.ts).
 */
export interface PeerLike {
  readonly kind: PeerKind;
  readonly address: string;
  alive: boolean;
  readonly open: boolean;
  readonly overCap: boolean;
  /**
   * What joins the fan-out for this peer: the peer itself, or for a socket of another instance the
   * relay that carries each flush to that instance once.
   */
  readonly relay?: FanoutMember;
  /**
   * The browsers a flush written to it reaches, by the form they take: a browser's own socket is one;
   * an agent, or a socket of another instance (its relay counts them), none.
   */
  readonly browsers: BrowserForms;
  acceptsMore(): boolean;
  /** Queues one flush of the fan-out, after `acceptsMore()` said yes. */
  writeFlush(frames: FlushFrames): void;
  send(message: Buffer): boolean;
  sendMessage(message: { type: string; payload: object }): boolean;
  /**
   * A browser's `init`, already serialized, and what was published since it was built. It may be far
   * larger than the outbound cap (the whole fleet), so it does not count against the cap while it drains.
   */
  sendInit(init: InitToSend): boolean;
  sendError(code: ErrorCodeValue, message: string): void;
  rejectFrame(reason: string, code?: ErrorCodeValue, now?: number): boolean;
  close(code: number, reason: string): void;
  pong(data: Buffer): void;
  /** Keepalive (by whichever process holds the socket). */
  ping(): void;
}

/**
 * A browser's `init` and the state changes and output lines published after it was built, which the
 * browser takes as it would any later ones (see Fanout): one by one, and as frames ready for the socket.
 */
export interface InitToSend {
  readonly body: Buffer;
  readonly since: readonly (Buffer | string)[];
  readonly sinceFrames: Buffer;
  /** `body` as one compressed frame (permessage-deflate), made once for all the peers that take it. */
  deflatedFrame(): Buffer;
}

/**
 * One flush of the fan-out, encoded (frame-bytes.ts) once for every browser that takes each form, on
 * first use: a browser takes the form it asked for.
 */
export interface FlushFrames {
  plain(): Buffer;
  /** With `output_batch` messages (OUTPUT_BATCH_QUERY); the very buffer plain() gives when nothing was batched. */
  batched(): Buffer;
}

/** Browsers by the form of a flush they take: without and with `output_batch` messages. */
export interface BrowserForms {
  readonly plain: number;
  readonly batching: number;
}

/** An agent's socket, or a socket of another instance (reached through its relay). */
export const NO_BROWSER: BrowserForms = { plain: 0, batching: 0 };
const PLAIN_BROWSER: BrowserForms = { plain: 1, batching: 0 };
const BATCHING_BROWSER: BrowserForms = { plain: 0, batching: 1 };

/** The part of a peer the fan-out writes to: a browser's socket, or the relay to another instance's browsers. */
export type FanoutMember = Pick<PeerLike, 'acceptsMore' | 'writeFlush' | 'overCap' | 'browsers'>;

/**
 * Answers a bad frame with `error` and counts it in `times` (the peer's own list); a peer that keeps
 * sending them is closed with 1008. Returns true when the peer was closed.
 */
export function rejectBadFrame(
  peer: Pick<PeerLike, 'kind' | 'sendError' | 'close'>,
  times: number[],
  observer: PeerObserver,
  reason: string,
  code: ErrorCodeValue,
  now: number,
): boolean {
  peer.sendError(code, reason);
  observer.rejected(peer.kind, code);
  const recent = times.filter((t) => now - t < BAD_FRAME_WINDOW_MS);
  times.splice(0, times.length, ...recent, now);
  if (times.length < BAD_FRAMES_BEFORE_CLOSE) return false;
  peer.close(CloseCode.policyViolation, 'too many bad frames');
  return true;
}

export class Peer implements PeerLike, KeptAlive {
  readonly kind: PeerKind;
  readonly address: string;
  /** Set by any frame or pong; cleared by each keepalive ping. */
  alive = true;
  readonly keepaliveTurn = nextKeepaliveTurn();
  private closing = false;
  private readonly queueCapBytes: number;
  private readonly observer: PeerObserver;
  private readonly badFrameTimes: number[] = [];
  /** Bytes this peer was given to send, in all: with bufferedAmount, how much has left. */
  private queuedTotal = 0;
  /** Where the last `init` ends in that count: until then, what is still queued of it is allowed. */
  private initEnd = 0;
  /**
   * The peer negotiated permessage-deflate (offered to browsers only, without context takeover): its
   * `init` goes compressed. Nothing else does: the fan-out's frames are small and shared as they are.
   */
  private readonly takesDeflatedInit: boolean;
  /** A browser that asked for `output_batch` messages. */
  readonly batchesOutput: boolean;
  readonly browsers: BrowserForms;

  /**
   * `tcp` is the connection under `socket`. Messages sent one at a time go through `socket`; the
   * fan-out writes frames it encoded once for every browser straight to `tcp`. Both writes are
   * synchronous and ws queues nothing of its own as long as it compresses nothing itself (it never
   * does: INIT_DEFLATE's threshold, and every send says so), so frames never interleave.
   */
  constructor(
    readonly socket: WebSocket,
    private readonly tcp: net.Socket,
    options: PeerOptions,
  ) {
    this.kind = options.kind;
    this.address = options.address;
    this.queueCapBytes = options.queueCapBytes;
    this.observer = options.observer;
    this.takesDeflatedInit = socket.extensions.includes('permessage-deflate');
    this.batchesOutput = options.kind === 'browser' && options.batchesOutput === true;
    this.browsers = options.kind === 'agent' ? NO_BROWSER : this.batchesOutput ? BATCHING_BROWSER : PLAIN_BROWSER;
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('ping', () => {
      this.alive = true;
    });
  }

  get open(): boolean {
    return !this.closing && this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Whether the peer may be given more. A peer still holding more than its cap of earlier messages
   * is cut with 4008 rather than skipped, so a connected peer never silently misses a message.
   * What was queued before is measured, not what is about to be: a peer that keeps up starts every
   * turn with an empty queue, however large one turn's burst is.
   */
  acceptsMore(): boolean {
    if (!this.open) return false;
    if (!this.overCap) return true;
    this.close(CloseCode.slowConsumer, 'too slow: outbound queue over its cap');
    return false;
  }

  /** More is queued for this peer than its cap allows (what is left of its last `init` aside). */
  get overCap(): boolean {
    const buffered = this.socket.bufferedAmount;
    const initLeft = Math.max(0, this.initEnd - (this.queuedTotal - buffered));
    return buffered - initLeft > this.queueCapBytes;
  }

  writeFlush(frames: FlushFrames): void {
    this.writeEncoded(this.batchesOutput ? frames.batched() : frames.plain());
  }

  /** Queues complete, already encoded frames (see frame-bytes.ts), after `acceptsMore()` said yes. */
  writeEncoded(frames: Buffer): void {
    this.queuedTotal += frames.length;
    this.tcp.write(frames);
  }

  /** Queues one serialized message if the peer accepts more; returns false once it is cut or closed. */
  send(message: Buffer): boolean {
    if (!this.acceptsMore()) return false;
    this.queuedTotal += message.length;
    this.socket.send(message, { binary: false, compress: false });
    return true;
  }

  sendInit(init: InitToSend): boolean {
    if (!this.acceptsMore()) return false;
    if (this.takesDeflatedInit) this.writeEncoded(init.deflatedFrame());
    else this.send(init.body);
    if (init.sinceFrames.length > 0) this.writeEncoded(init.sinceFrames);
    this.initEnd = this.queuedTotal;
    this.observer.sent(this.kind, 'init');
    return true;
  }

  sendMessage(message: { type: string; payload: object }): boolean {
    const sent = this.send(Buffer.from(JSON.stringify(message)));
    if (sent) this.observer.sent(this.kind, message.type);
    return sent;
  }

  /** The bytes queued for this peer and not yet taken by the network. */
  get backlogBytes(): number {
    return this.socket.bufferedAmount;
  }

  sendError(code: ErrorCodeValue, message: string): void {
    this.sendMessage({ type: 'error', payload: { code, message } });
  }

  /**
   * Answers a bad frame with `error` and counts it; a peer that keeps sending them is closed with
   * 1008. Returns true when the peer was closed.
   */
  rejectFrame(reason: string, code: ErrorCodeValue = ErrorCode.badMessage, now = Date.now()): boolean {
    return rejectBadFrame(this, this.badFrameTimes, this.observer, reason, code, now);
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.observer.closed(this.kind, code);
    this.socket.close(code, reason);
  }

  pong(data: Buffer): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.pong(data);
  }

  /** Keepalive: a peer that has not answered since the last ping is dead. */
  ping(): void {
    if (!this.alive) {
      this.socket.terminate();
      return;
    }
    this.alive = false;
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }
}

/**
 * Closes sockets (shutdown): each gets the close frame first; those that have not finished the closing
 * handshake within `graceMs` are cut, so that a slow peer cannot hold the shutdown up.
 */
export async function closePeers(peers: readonly Peer[], code: number, reason: string, graceMs: number): Promise<void> {
  const closed = peers.map((peer) => new Promise<void>((resolve) => (peer.socket.readyState === peer.socket.CLOSED ? resolve() : peer.socket.once('close', () => resolve()))));
  for (const peer of peers) peer.close(code, reason);
  const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
  await Promise.race([Promise.all(closed), grace]);
  for (const peer of peers) peer.socket.terminate();
}

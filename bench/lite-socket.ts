// A lean WebSocket client for the load generator. At 20 browsers × 15,000 frames a second the ws
// client's per-message machinery (a writable stream and an event per frame) costs more CPU than the
// dashboard under test, on the same two cores; this client parses frames from the TCP stream
// directly. It does the real handshake, answers pings, reads close codes, and sends masked frames
// (with an all-zero key, which the RFC's framing allows and costs no work: this is a load generator).
import http from 'node:http';
import type net from 'node:net';
import { randomBytes } from 'node:crypto';
import { constants as zlibConstants, inflateRaw } from 'node:zlib';

const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;

export interface LiteSocket {
  send(text: string): void;
  /** Stops reading the socket (the peer's data piles up in the kernel, then in the dashboard). */
  pause(): void;
  resume(): void;
  terminate(): void;
  readonly closed: Promise<number>;
}

export interface LiteHandlers {
  /** A text frame's payload, as bytes (the caller decides whether it needs it as a string), valid only during the call. */
  onText(payload: Buffer): void;
}

/** The dashboard answered the upgrade with an HTTP status instead of opening the socket. */
export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused: HTTP ${status}`);
  }
}

export interface ConnectOptions {
  /** Gives up an upgrade that has not completed after this long, as the agent does; none by default. */
  handshakeTimeoutMs?: number;
}

function clientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length <= 0xffff ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length <= 0xffff) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.writeUInt32BE(0, headerLength); // the masking key: zero, so the payload goes as it is
  payload.copy(frame, headerLength + 4);
  return frame;
}

/** What a browser offers (Chromium's words): the dashboard sends `init` compressed to those that do. */
export const BROWSER_EXTENSIONS = 'permessage-deflate; client_max_window_bits';
/** A compressed message's first frame has RSV1; its payload lacks the sync flush's empty block. */
const RSV1 = 0x40;
const FLUSH_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** Inflated in one pass or two: with zlib's 16 KiB default an init of megabytes takes a thousand trips to the thread pool. */
const INFLATE_CHUNK_BYTES = 1 << 24;

/** Frames larger than this are joined in one buffer this thread reuses (see FrameReader). */
const LARGE_FRAME_BYTES = 1 << 20;
let largeFrames = Buffer.alloc(0);

/** `chunks` joined: in the thread's reused buffer when large, so that its memory is not new each time. */
function join(chunks: readonly Buffer[], bytes: number): { buffered: Buffer; reused: boolean } {
  if (chunks.length === 1) return { buffered: chunks[0] as Buffer, reused: false };
  if (bytes < LARGE_FRAME_BYTES) return { buffered: Buffer.concat(chunks, bytes), reused: false };
  if (largeFrames.length < bytes) largeFrames = Buffer.allocUnsafe(Math.ceil(bytes * 1.25));
  let at = 0;
  for (const chunk of chunks) at += chunk.copy(largeFrames, at);
  return { buffered: largeFrames.subarray(0, bytes), reused: true };
}

/**
 * Reads server frames (never masked, never fragmented by our dashboard) out of the byte stream. The
 * chunks of a frame are joined once it is complete: an init of 10,000 hosts is megabytes, and joining
 * at every chunk would copy it hundreds of times. A large frame is joined in a buffer the thread
 * reuses: fresh memory of that size costs more to touch than the copy (77 ms for 15 MB on the
 * project's machine), and 10 simulated browsers per thread each read an init at once after a restart,
 * which a real browser, in a process of its own, does not pay for the others. So a payload is valid
 * only during `onFrame`.
 */
class FrameReader {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** The bytes the first frame needs in all, once its header has been read (0: not known yet). */
  private neededBytes = 0;

  constructor(private readonly onFrame: (opcode: number, payload: Buffer, compressed: boolean) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes < this.neededBytes) return;
    const { buffered, reused } = join(this.chunks, this.bufferedBytes);
    let offset = 0;
    this.neededBytes = 0;
    for (;;) {
      if (buffered.length - offset < 2) break;
      const opcode = (buffered[offset] as number) & 0x0f;
      const compressed = ((buffered[offset] as number) & RSV1) !== 0;
      let length = (buffered[offset + 1] as number) & 0x7f;
      let header = 2;
      if (length === 126) {
        if (buffered.length - offset < 4) break;
        length = buffered.readUInt16BE(offset + 2);
        header = 4;
      } else if (length === 127) {
        if (buffered.length - offset < 10) break;
        length = Number(buffered.readBigUInt64BE(offset + 2));
        header = 10;
      }
      if (buffered.length - offset < header + length) {
        this.neededBytes = header + length;
        break;
      }
      this.onFrame(opcode, buffered.subarray(offset + header, offset + header + length), compressed);
      offset += header + length;
    }
    const rest = reused ? Buffer.from(buffered.subarray(offset)) : buffered.subarray(offset);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.bufferedBytes = rest.length;
  }
}

export function connectLite(wsUrl: string, headers: Record<string, string>, handlers: LiteHandlers, options: ConnectOptions = {}): Promise<LiteSocket> {
  const url = new URL(wsUrl.replace(/^ws/, 'http'));
  return new Promise((resolve, reject) => {
    const request = http.request({
      // A connection of its own each time, as WebSocket clients open them (no pooled keep-alive socket).
      agent: false,
      host: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: {
        ...headers,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
      },
    });
    let pending = true;
    // Judged once what arrived meanwhile is read: a load generator starved of CPU runs its due timers
    // before its sockets' data, and must not take its own stall for the dashboard's.
    const giveUp = () => setImmediate(() => pending && request.destroy(new Error('handshake timed out')));
    const timeout = options.handshakeTimeoutMs === undefined ? null : setTimeout(giveUp, options.handshakeTimeoutMs);
    const settled = () => {
      pending = false;
      if (timeout) clearTimeout(timeout);
    };
    request.on('response', (response) => {
      settled();
      response.resume();
      reject(new UpgradeRefused(response.statusCode ?? 0));
    });
    request.on('error', (err) => {
      settled();
      reject(err);
    });
    request.on('upgrade', (_response, socket: net.Socket, head: Buffer) => {
      settled();
      socket.setNoDelay(true);
      let resolveClosed: (code: number) => void = () => {};
      const closed = new Promise<number>((done) => (resolveClosed = done));
      let closeCode = 1006;
      // Frames that came while a compressed one was inflated, in order, to be read after it.
      let behind: [number, Buffer, boolean][] | null = null;
      const onFrame = (opcode: number, payload: Buffer, compressed: boolean): void => {
        if (behind) {
          behind.push([opcode, Buffer.from(payload), compressed]);
          return;
        }
        if (compressed) {
          // Off this thread, as a browser of its own would not hold up the others of this worker.
          behind = [];
          inflateRaw(Buffer.concat([payload, FLUSH_TAIL]), { finishFlush: zlibConstants.Z_SYNC_FLUSH, chunkSize: INFLATE_CHUNK_BYTES }, (err, text) => {
            const queued = behind ?? [];
            behind = null;
            if (err) return void socket.destroy(err);
            if (opcode === OP_TEXT) handlers.onText(text);
            for (const frame of queued) onFrame(...frame);
            if (tcpClosed && !behind) resolveClosed(closeCode);
          });
          return;
        }
        if (opcode === OP_TEXT) handlers.onText(payload);
        else if (opcode === OP_PING) socket.write(clientFrame(0xa, Buffer.from(payload)));
        else if (opcode === OP_CLOSE) {
          closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
          socket.end(clientFrame(OP_CLOSE, Buffer.from(payload.subarray(0, 2))));
        }
      };
      const reader = new FrameReader(onFrame);
      // Frames that came with the handshake are read after the caller has its socket (it may pause it),
      // and before anything that arrives after them.
      let early: Buffer[] | null = head.length > 0 ? [head] : null;
      socket.on('data', (chunk: Buffer) => (early ? early.push(chunk) : reader.push(chunk)));
      // A close frame held behind an inflate is read before the socket counts as closed.
      let tcpClosed = false;
      socket.on('close', () => {
        tcpClosed = true;
        if (!behind) resolveClosed(closeCode);
      });
      socket.on('error', () => undefined);
      if (early) {
        setImmediate(() => {
          const chunks = early ?? [];
          early = null;
          for (const chunk of chunks) reader.push(chunk);
        });
      }
      resolve({
        send: (text) => {
          if (!socket.destroyed) socket.write(clientFrame(OP_TEXT, Buffer.from(text)));
        },
        pause: () => socket.pause(),
        resume: () => socket.resume(),
        terminate: () => socket.destroy(),
        closed,
      });
    });
    request.end();
  });
}

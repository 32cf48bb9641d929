// WebSocket framing (RFC 6455 §5.2) of server-to-client text frames, done once per message so that
// the same bytes go to every browser. Frames from a server are never masked, so one encoding serves
// all peers; ws would frame the message again for each of them.
import zlib from 'node:zlib';

const FIN_TEXT = 0x81;
/** RSV1 on a message's first frame: its payload is compressed (RFC 7692, permessage-deflate). */
const RSV1 = 0x40;
/** The empty block a sync flush ends with, which a compressed message leaves out (RFC 7692 §7.2.1). */
const FLUSH_TAIL_BYTES = 4;
const LENGTH_16 = 126;
const LENGTH_64 = 127;

function headerLength(payloadLength: number): number {
  return payloadLength < LENGTH_16 ? 2 : payloadLength <= 0xffff ? 4 : 10;
}

/** Writes a text frame's header for `payloadLength` bytes at `offset`; returns where the payload goes. */
function writeHeader(out: Buffer, offset: number, payloadLength: number, first = FIN_TEXT): number {
  out[offset] = first;
  if (payloadLength < LENGTH_16) {
    out[offset + 1] = payloadLength;
    return offset + 2;
  }
  if (payloadLength <= 0xffff) {
    out[offset + 1] = LENGTH_16;
    out.writeUInt16BE(payloadLength, offset + 2);
    return offset + 4;
  }
  out[offset + 1] = LENGTH_64;
  out.writeBigUInt64BE(BigInt(payloadLength), offset + 2);
  return offset + 10;
}

/**
 * Complete text frames for the given payloads, back to back in one buffer. A payload is UTF-8 bytes
 * or a string (encoded straight into place, without a buffer of its own).
 */
export function encodeTextFrames(payloads: readonly (Buffer | string)[]): Buffer {
  const lengths = payloads.map((payload) => (typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length));
  const total = lengths.reduce((sum, length) => sum + headerLength(length) + length, 0);
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  payloads.forEach((payload, i) => {
    const length = lengths[i] as number;
    offset = writeHeader(out, offset, length);
    if (typeof payload === 'string') out.write(payload, offset, length, 'utf8');
    else payload.copy(out, offset);
    offset += length;
  });
  return out;
}

/**
 * One text frame with `payload` compressed, for peers that negotiated permessage-deflate with
 * server_no_context_takeover: each message is then compressed on its own, so the same bytes serve
 * every such peer. Level 1: a 16 MB init takes tens of milliseconds and comes out at a tenth or less.
 */
export function encodeDeflatedTextFrame(payload: Buffer): Buffer {
  const deflated = zlib.deflateRawSync(payload, { level: 1, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const length = deflated.length - FLUSH_TAIL_BYTES;
  const out = Buffer.allocUnsafe(headerLength(length) + length);
  deflated.copy(out, writeHeader(out, 0, length, FIN_TEXT | RSV1), 0, length);
  return out;
}

/** A message kept with its compressed frame once one was made (an `init`, megabytes, for several peers). */
export interface CompressibleMessage {
  readonly body: Buffer;
  deflated: Buffer | null;
}

/** The compressed frame of `message.body`, made the first time a peer that negotiated compression needs it. */
export const lazyDeflatedFrame = (message: CompressibleMessage) => (): Buffer => (message.deflated ??= encodeDeflatedTextFrame(message.body));

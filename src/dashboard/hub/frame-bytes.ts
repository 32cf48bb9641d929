// WebSocket framing (RFC 6455 §5.2) of server-to-client text frames, done once per message so that
// the same bytes go to every browser. Frames from a server are never masked, so one encoding serves
// all peers; ws would frame the message again for each of them.
const FIN_TEXT = 0x81;
const LENGTH_16 = 126;
const LENGTH_64 = 127;

function headerLength(payloadLength: number): number {
  return payloadLength < LENGTH_16 ? 2 : payloadLength <= 0xffff ? 4 : 10;
}

/** Writes a text frame's header for `payloadLength` bytes at `offset`; returns where the payload goes. */
function writeHeader(out: Buffer, offset: number, payloadLength: number): number {
  out[offset] = FIN_TEXT;
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

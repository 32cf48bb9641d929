// WebSocket framing (RFC 6455 §5.2) of server-to-client text frames, done once per message so that
// the same bytes go to every browser. Frames from a server are never masked, so one encoding serves
// all peers; ws would frame the message again for each of them.
const FIN_TEXT = 0x81;
const LENGTH_16 = 126;
const LENGTH_64 = 127;

function header(length: number): Buffer {
  if (length < LENGTH_16) return Buffer.from([FIN_TEXT, length]);
  if (length <= 0xffff) {
    const out = Buffer.allocUnsafe(4);
    out[0] = FIN_TEXT;
    out[1] = LENGTH_16;
    out.writeUInt16BE(length, 2);
    return out;
  }
  const out = Buffer.allocUnsafe(10);
  out[0] = FIN_TEXT;
  out[1] = LENGTH_64;
  out.writeBigUInt64BE(BigInt(length), 2);
  return out;
}

/** Complete text frames for the given UTF-8 payloads, back to back in one buffer. */
export function encodeTextFrames(payloads: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const payload of payloads) parts.push(header(payload.length), payload);
  return Buffer.concat(parts);
}

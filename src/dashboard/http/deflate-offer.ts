// permessage-deflate (RFC 7692) for browsers' sockets: only `init`, the whole fleet, goes compressed,
// compressed once for every browser that takes it (hub/frame-bytes.ts). That needs the offers this
// module lets through to ws, and nothing else: a browser that offers something else gets its socket
// without compression, as before compression was offered at all, never a refused upgrade.
import type { IncomingHttpHeaders } from 'node:http';

/**
 * ws's options: each message compressed on its own (no context takeover either way, so a socket
 * holds no compression state between messages), and ws never compressing anything itself.
 */
export const INIT_DEFLATE = { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: Number.MAX_SAFE_INTEGER };

const EXTENSIONS_HEADER = 'sec-websocket-extensions';
/** The window the shared compressed init is made with (zlib's default): an offer that asks for less cannot take it. */
const INIT_WINDOW_BITS = 15;
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/** Whether one offer (`permessage-deflate; param; param=value`) can be answered with the shared compressed init. */
function usableOffer(offer: string): boolean {
  // Names and parameters are tokens, compared without regard to case (RFC 7230).
  const [name, ...params] = offer.toLowerCase().split(';').map((part) => part.trim());
  if (name !== 'permessage-deflate') return false;
  const seen = new Set<string>();
  for (const param of params) {
    const [key = '', raw] = param.split('=').map((part) => part.trim());
    const value = raw?.replace(/^"(.*)"$/, '$1');
    if (seen.has(key)) return false;
    seen.add(key);
    if (key === 'server_no_context_takeover' || key === 'client_no_context_takeover') {
      if (value !== undefined) return false;
    } else if (key === 'client_max_window_bits') {
      if (value !== undefined && !WINDOW_BITS.test(value)) return false;
    } else if (key === 'server_max_window_bits') {
      if (value !== String(INIT_WINDOW_BITS)) return false;
    } else return false;
  }
  return true;
}

/**
 * Leaves a browser's upgrade request offering plain permessage-deflate if one of its offers can take
 * the shared compressed init, and offering nothing otherwise (ws would refuse an offer it cannot
 * parse with 400). Agents' requests lose the header: they are never compressed.
 */
export function settleDeflateOffer(headers: IncomingHttpHeaders, kind: 'agent' | 'browser'): void {
  const header = headers[EXTENSIONS_HEADER];
  if (header === undefined) return;
  if (kind === 'browser' && header.split(',').some(usableOffer)) headers[EXTENSIONS_HEADER] = 'permessage-deflate';
  else delete headers[EXTENSIONS_HEADER];
}

// What the simulated browsers need to read the dashboard's frames straight from their bytes: the
// markers of an output frame's command and lines (browser-worker.ts walks them), the version at the
// end of a state message or an init, the host of a host_update (parsed once per worker), a rollout's
// id and status.
interface HostUpdateFrame {
  payload: { host?: { id?: string; metrics?: { load?: number } | null; status?: string; connected?: boolean } };
}

/**
 * Output frames are read straight from their bytes, without JSON.parse: at 20 browsers × 15,000 lines
 * a second the load generator would otherwise allocate (and collect) more than the dashboard under
 * test, on the same two cores, and its own garbage-collection pauses would show up as the dashboard's
 * latency. The dashboard passes on line objects as the agent sent them, and the bench's agents send
 * `{seq, stream, line}` in that order with a line that is a time stamp and padding, so finding `"seq":`
 * and then `"line":"` is enough.
 */
const COMMAND_ID = Buffer.from('"command_id":"');
export const SEQ = Buffer.from('"seq":');
export const LINE = Buffer.from('"line":"');
const QUOTE = 0x22;
const DOT = 0x2e;
const ZERO = 0x30;

/** The number written at `at` (digits, optionally a fraction), or NaN when there is none. */
export function numberAt(bytes: Buffer, at: number): number {
  let value = 0;
  let scale = 0;
  let digits = 0;
  for (let i = at; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === DOT && scale === 0) scale = 1;
    else if (byte >= ZERO && byte <= ZERO + 9) {
      digits++;
      if (scale === 0) value = value * 10 + (byte - ZERO);
      else value += (byte - ZERO) / 10 ** scale++;
    } else break;
  }
  return digits === 0 ? NaN : value;
}

/** Command ids by the hash of their bytes, so that a frame yields its command without a new string. */
const commandIds = new Map<number, string>();

export function commandOf(bytes: Buffer): string | null {
  const at = bytes.indexOf(COMMAND_ID);
  if (at < 0) return null;
  const from = at + COMMAND_ID.length;
  const to = bytes.indexOf(QUOTE, from);
  if (to < 0) return null;
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  const key = (hash >>> 0) * 256 + (to - from);
  let id = commandIds.get(key);
  if (id === undefined) {
    id = bytes.toString('latin1', from, to);
    commandIds.set(key, id);
  }
  return id;
}

interface DecodedHost {
  id: string;
  /** When its agent sent the heartbeat it carries (metrics.load, see agent-worker.ts); NaN without one. */
  heartbeatSentAt: number;
  online: boolean;
  connected: boolean;
}

const decodedHosts = new Map<number, DecodedHost>();

/**
 * The host of a host_update, decoded once per worker: every browser of it gets the same frame, and
 * its version tells it apart (the counter goes on across a restart), without turning it into a string.
 */
const HOSTS_KEPT = 16_384;
export function decodeHost(payload: Buffer, version: number): DecodedHost {
  let entry = decodedHosts.get(version);
  if (entry) return entry;
  const host = (JSON.parse(payload.toString()) as HostUpdateFrame).payload.host;
  entry = { id: host?.id ?? '', heartbeatSentAt: host?.metrics?.load ?? NaN, online: host?.status === 'online', connected: host?.connected === true };
  if (decodedHosts.size >= HOSTS_KEPT) decodedHosts.delete(decodedHosts.keys().next().value as number);
  decodedHosts.set(version, entry);
  return entry;
}

/**
 * A state message ends with its version, `,"version":N}` (the dashboard serializes type, payload,
 * version in that order), so the version is read from the last bytes without parsing the message.
 */
const VERSION_KEY = Buffer.from('"version":');
const CLOSE_BRACE = 0x7d;

export function trailingVersion(payload: Buffer): number {
  const end = payload.length - 1;
  if (payload[end] !== CLOSE_BRACE) return NaN;
  let start = end;
  while (start > 0 && (payload[start - 1] as number) >= ZERO && (payload[start - 1] as number) <= ZERO + 9) start--;
  const keyAt = start - VERSION_KEY.length;
  if (start === end || keyAt < 0 || payload.compare(VERSION_KEY, 0, VERSION_KEY.length, keyAt, start) !== 0) return NaN;
  return numberAt(payload, start);
}

/**
 * A rollout_update starts `{"type":"rollout_update","payload":{"rollout":{"id":"…","status":"…"`: the
 * record's first keys are its id and its status, so both are read there without parsing 300 hosts.
 */
export const ROLLOUT_UPDATE_PREFIX = Buffer.from('{"type":"rollout_update","payload":{"rollout":{"id":"');
const ROLLOUT_STATUS = Buffer.from('","status":"');

/** The id and status of a rollout_update (a frame that starts with ROLLOUT_UPDATE_PREFIX), or null. */
export function rolloutIdAndStatus(payload: Buffer): { rolloutId: string; status: string } | null {
  const idAt = ROLLOUT_UPDATE_PREFIX.length;
  const statusKeyAt = payload.indexOf(ROLLOUT_STATUS, idAt);
  if (statusKeyAt < 0) return null;
  const statusAt = statusKeyAt + ROLLOUT_STATUS.length;
  return { rolloutId: payload.toString('latin1', idAt, statusKeyAt), status: payload.toString('latin1', statusAt, payload.indexOf(QUOTE, statusAt)) };
}

export const OUTPUT_PREFIX = Buffer.from('{"type":"command_output"');
export const HOST_UPDATE_PREFIX = Buffer.from('{"type":"host_update"');
export const INIT_PREFIX = Buffer.from('{"type":"init"');
export const startsWith = (payload: Buffer, prefix: Buffer) => payload.length >= prefix.length && payload.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;

/**
 * An init ends with its version, `…,"version":N}}` (sendInit puts it last), read from there: with
 * 10,000 hosts an init is megabytes, too much to parse in the load generator for one number.
 */
export function initVersion(payload: Buffer): number {
  const at = payload.lastIndexOf(VERSION_KEY);
  return at < 0 ? NaN : numberAt(payload, at + VERSION_KEY.length);
}

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
 * `{seq, stream, line}` in that order with a line that is a time stamp and padding (no quote, no
 * backslash), so finding `"seq":` and then `"line":"` is enough, a line's text ends at its next quote
 * and its object at the next `}`.
 */
const COMMAND_ID = Buffer.from('"command_id":"');
const SEQ = Buffer.from('"seq":');
const LINE = Buffer.from('"line":"');
const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const DOT = 0x2e;
const ZERO = 0x30;
/** 10 ** n for the fraction digits a number can have before they stop counting. */
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, n) => 10 ** n);

/** The number written at `at` (digits, optionally a fraction), or NaN when there is none. */
export function numberAt(bytes: Buffer, at: number): number {
  let whole = 0;
  let i = at;
  for (; i < bytes.length; i++) {
    const digit = (bytes[i] as number) - ZERO;
    if (digit < 0 || digit > 9) break;
    whole = whole * 10 + digit;
  }
  let digits = i - at;
  if (bytes[i] !== DOT) return digits === 0 ? NaN : whole;
  let fraction = 0;
  let scale = 0;
  for (i++; i < bytes.length; i++) {
    const digit = (bytes[i] as number) - ZERO;
    if (digit < 0 || digit > 9) break;
    if (scale < POWERS_OF_TEN.length - 1) {
      fraction = fraction * 10 + digit;
      scale++;
    }
    digits++;
  }
  return digits === 0 ? NaN : whole + fraction / (POWERS_OF_TEN[scale] as number);
}

/**
 * Whether `bytes` hold `needle` at `at`, compared byte by byte: for the few bytes of a key or a
 * prefix, Buffer.compare's native call costs more than the comparison.
 */
function matchesAt(bytes: Buffer, needle: Buffer, at: number): boolean {
  if (at < 0 || at + needle.length > bytes.length) return false;
  for (let i = 0; i < needle.length; i++) if (bytes[at + i] !== needle[i]) return false;
  return true;
}

/**
 * Where `needle` next occurs in `bytes` from `from`, or -1: a plain loop, for the few dozen bytes
 * between an output frame's keys, where Buffer.indexOf's native call costs more than the search.
 */
function find(bytes: Buffer, needle: Buffer, from: number): number {
  const first = needle[0] as number;
  const last = bytes.length - needle.length;
  for (let i = from; i <= last; i++) if (bytes[i] === first && matchesAt(bytes, needle, i)) return i;
  return -1;
}

/** Command ids by the hash of their bytes, so that a frame yields its command without a new string. */
const commandIds = new Map<number, string>();

/**
 * Reads a `command_output` frame, or an `output_batch` (the output of several commands): `start` takes
 * the frame and finds its first command, each `nextLine` finds the command's next line's seq and the
 * time stamp its text starts with, and `nextCommand` goes on to the batch's next command. One reader
 * serves a worker's every browser, one frame at a time, without allocating, and searches only the few
 * bytes between the keys it needs: in scenario h each browser thread reads about 200,000 lines a
 * second, and searching every frame from its start cost the load generator a quarter of a core more
 * (BENCHMARKS.md, "The load generator's share").
 */
export class OutputFrameReader {
  commandId = '';
  seq = NaN;
  /** The line's time stamp (nowMs() when its agent sent it); NaN when its text does not start with one. */
  sentAt = NaN;
  private bytes: Buffer = Buffer.alloc(0);
  private batch = false;
  /** Where the search for the command's next line starts; -1 after its last. */
  private at = -1;
  /** Where the search for the batch's next command starts, once the current one's lines ended; else -1. */
  private nextCommandAt = -1;

  /** False when `payload` is not a command_output or output_batch frame with a command id. */
  start(payload: Buffer): boolean {
    this.bytes = payload;
    this.at = -1;
    this.nextCommandAt = -1;
    this.batch = startsWith(payload, BATCH_PREFIX);
    if (this.batch) return this.readCommand(BATCH_PREFIX.length);
    return startsWith(payload, OUTPUT_PREFIX) && this.readCommand(OUTPUT_PREFIX.length);
  }

  /** Goes on to the next command of an output_batch, once this one's lines are read; false after the last. */
  nextCommand(): boolean {
    const from = this.nextCommandAt;
    this.nextCommandAt = -1;
    return this.batch && from >= 0 && this.readCommand(from);
  }

  private readCommand(from: number): boolean {
    const payload = this.bytes;
    const idKey = find(payload, COMMAND_ID, from);
    if (idKey < 0) return false;
    const idFrom = idKey + COMMAND_ID.length;
    const to = payload.indexOf(QUOTE, idFrom);
    if (to < 0) return false;
    let hash = 0x811c9dc5;
    for (let i = idFrom; i < to; i++) hash = Math.imul(hash ^ (payload[i] as number), 0x01000193);
    // The 32-bit hash as it is (Math.imul keeps it a small integer, which a Map finds fastest).
    let id = commandIds.get(hash);
    if (id === undefined) {
      id = payload.toString('latin1', idFrom, to);
      commandIds.set(hash, id);
    }
    this.commandId = id;
    this.at = to;
    return true;
  }

  /** Reads the command's next line into `seq` and `sentAt`; false after its last. */
  nextLine(): boolean {
    if (this.at < 0) return false;
    const bytes = this.bytes;
    const seqKey = find(bytes, SEQ, this.at);
    if (seqKey < 0) {
      this.at = -1;
      return false;
    }
    this.seq = numberAt(bytes, seqKey + SEQ.length);
    const lineKey = find(bytes, LINE, seqKey);
    if (lineKey < 0) {
      this.sentAt = NaN;
      this.at = -1;
      return true;
    }
    const text = lineKey + LINE.length;
    this.sentAt = numberAt(bytes, text);
    // The line object ends at the first "}" after its text (its other values are a number and a
    // word): a "," follows when another line of this command does, "]" when its lines end. A batch's
    // commands each have a line (the dashboard sends no output without one); a line without text
    // ends the frame's reading.
    let end = bytes.indexOf(QUOTE, text);
    while (end >= 0 && end < bytes.length && bytes[end] !== CLOSE_BRACE) end++;
    if (end >= 0 && bytes[end + 1] === COMMA) this.at = end + 1;
    else {
      this.at = -1;
      this.nextCommandAt = end >= 0 && end < bytes.length ? end + 1 : -1;
    }
    return true;
  }
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

export function trailingVersion(payload: Buffer): number {
  const end = payload.length - 1;
  if (payload[end] !== CLOSE_BRACE) return NaN;
  let start = end;
  while (start > 0 && (payload[start - 1] as number) >= ZERO && (payload[start - 1] as number) <= ZERO + 9) start--;
  const keyAt = start - VERSION_KEY.length;
  if (start === end || !matchesAt(payload, VERSION_KEY, keyAt)) return NaN;
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
export const BATCH_PREFIX = Buffer.from('{"type":"output_batch"');
export const HOST_UPDATE_PREFIX = Buffer.from('{"type":"host_update"');
export const INIT_PREFIX = Buffer.from('{"type":"init"');
export const startsWith = (payload: Buffer, prefix: Buffer): boolean => matchesAt(payload, prefix, 0);

/**
 * An init ends with its version, `…,"version":N}}` (sendInit puts it last), read from there: with
 * 10,000 hosts an init is megabytes, too much to parse in the load generator for one number.
 */
export function initVersion(payload: Buffer): number {
  const at = payload.lastIndexOf(VERSION_KEY);
  return at < 0 ? NaN : numberAt(payload, at + VERSION_KEY.length);
}

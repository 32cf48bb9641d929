// Simulated browsers in a worker thread: logged-in sockets that read everything the dashboard sends,
// time every output line and heartbeat from its stamp, count lines lost or out of order, check that
// state messages come with consecutive versions and without long silences, and say when a rollout ends.
// With `reconnect` they come back as the web page does when the dashboard restarts, time their first
// `init`, and watch every host's presence.
import { parentPort } from 'node:worker_threads';
import { BROWSER_EXTENSIONS, connectLite, UpgradeRefused, type LiteSocket } from './lite-socket.js';
import { Histogram, nowMs } from './histogram.js';
import { HostWatch } from './host-watch.js';
import { retryDelayMs } from '../src/web/net/backoff.js';
import type { BrowserReport, BrowserWorkerReply, BrowserWorkerRequest, BrowserWorkerStart } from './messages.js';

const port = parentPort;
if (!port) throw new Error('browser-worker must run as a worker');

interface SimBrowser {
  socket: LiteSocket | null;
  output: Histogram;
  heartbeat: Histogram;
  linesReceived: number;
  outOfOrder: number;
  perCommand: Map<string, { lines: number; nextSeq: number }>;
  /** The heartbeat send time last seen per host: other updates repeat it, and only a new one times a heartbeat. */
  heartbeatsSeen: Map<string, number>;
  closeCode: number | null;
  /** The version of the last state message (or of init); -1 before init. */
  version: number;
  versioned: number;
  versionGaps: number;
  lastStateAt: number;
  maxSilenceMs: number;
  /** Rollouts this browser saw end. */
  rolloutsEnded: Set<string>;
  /** With reconnect: failed attempts since the last message (the page's backoff), what each reconnect took, how connections ended. */
  failures: number;
  reconnectInitMs: number[];
  reconnectUpgradeMs: number[];
  connectionEvents: Record<string, number>;
  hosts: HostWatch | null;
}

const browsers: SimBrowser[] = [];

function reply(message: BrowserWorkerReply): void {
  port?.postMessage(message);
}

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
const SEQ = Buffer.from('"seq":');
const LINE = Buffer.from('"line":"');
const QUOTE = 0x22;
const DOT = 0x2e;
const ZERO = 0x30;

/** The number written at `at` (digits, optionally a fraction), or NaN when there is none. */
function numberAt(bytes: Buffer, at: number): number {
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

function commandOf(bytes: Buffer): string | null {
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
function decodeHost(payload: Buffer, version: number): DecodedHost {
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

function trailingVersion(payload: Buffer): number {
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
const ROLLOUT_UPDATE_PREFIX = Buffer.from('{"type":"rollout_update","payload":{"rollout":{"id":"');
const ROLLOUT_STATUS = Buffer.from('","status":"');
const FINAL_ROLLOUT_STATUSES = new Set(['succeeded', 'failed', 'halted', 'cancelled']);

function onRolloutUpdate(browser: SimBrowser, payload: Buffer, now: number): void {
  const idAt = ROLLOUT_UPDATE_PREFIX.length;
  const statusKeyAt = payload.indexOf(ROLLOUT_STATUS, idAt);
  if (statusKeyAt < 0) return;
  const statusAt = statusKeyAt + ROLLOUT_STATUS.length;
  const rolloutId = payload.toString('latin1', idAt, statusKeyAt);
  const status = payload.toString('latin1', statusAt, payload.indexOf(QUOTE, statusAt));
  if (!FINAL_ROLLOUT_STATUSES.has(status) || browser.rolloutsEnded.has(rolloutId)) return;
  browser.rolloutsEnded.add(rolloutId);
  reply({ type: 'rollout-ended', rolloutId, status, atMs: now });
}

/** Every state message must carry the version after the one before: a gap is a change the page missed. */
function onStateMessage(browser: SimBrowser, version: number, now: number): void {
  if (browser.version >= 0 && version !== browser.version + 1) browser.versionGaps++;
  browser.version = version;
  browser.versioned++;
  browser.maxSilenceMs = Math.max(browser.maxSilenceMs, now - browser.lastStateAt);
  browser.lastStateAt = now;
}

const OUTPUT_PREFIX = Buffer.from('{"type":"command_output"');
const HOST_UPDATE_PREFIX = Buffer.from('{"type":"host_update"');
const INIT_PREFIX = Buffer.from('{"type":"init"');
const startsWith = (payload: Buffer, prefix: Buffer) => payload.length >= prefix.length && payload.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;

function onFrame(browser: SimBrowser, payload: Buffer): void {
  const now = nowMs();
  if (startsWith(payload, OUTPUT_PREFIX)) {
    const commandId = commandOf(payload);
    if (commandId === null) return;
    let state = browser.perCommand.get(commandId);
    if (!state) {
      state = { lines: 0, nextSeq: 0 };
      browser.perCommand.set(commandId, state);
    }
    for (let at = payload.indexOf(SEQ); at >= 0; at = payload.indexOf(SEQ, at + 1)) {
      const seq = numberAt(payload, at + SEQ.length);
      if (seq < state.nextSeq) browser.outOfOrder++;
      else state.nextSeq = seq + 1;
      state.lines++;
      browser.linesReceived++;
      const line = payload.indexOf(LINE, at);
      const sentAt = line < 0 ? NaN : numberAt(payload, line + LINE.length);
      if (Number.isFinite(sentAt)) browser.output.record(now - sentAt);
    }
    return;
  }
  const version = trailingVersion(payload);
  if (Number.isFinite(version)) onStateMessage(browser, version, now);
  if (startsWith(payload, ROLLOUT_UPDATE_PREFIX)) return onRolloutUpdate(browser, payload, now);
  if (startsWith(payload, HOST_UPDATE_PREFIX)) {
    const host = decodeHost(payload, version);
    browser.hosts?.update(host.id, host.online, host.connected, now);
    const id = host.id;
    const sentAt = host.heartbeatSentAt;
    // A send time from before the timing restarted is a heartbeat the stopped dashboard took and never
    // passed on, which an update from the new one (a register) repeats: not a late heartbeat.
    if (!Number.isFinite(sentAt) || sentAt < timingSince || browser.heartbeatsSeen.get(id) === sentAt) return;
    browser.heartbeatsSeen.set(id, sentAt);
    const latencyMs = now - sentAt;
    browser.heartbeat.record(latencyMs);
    noteHeartbeatSecond(now, latencyMs);
  }
}

/**
 * An init ends with its version, `…,"version":N}}` (sendInit puts it last), read from there: with
 * 10,000 hosts an init is megabytes, too much to parse in the load generator for one number.
 */
function initVersion(payload: Buffer): number {
  const at = payload.lastIndexOf(VERSION_KEY);
  return at < 0 ? NaN : numberAt(payload, at + VERSION_KEY.length);
}

let stopping = false;

function newBrowser(start: BrowserWorkerStart): SimBrowser {
  return {
    socket: null,
    output: new Histogram(),
    heartbeat: new Histogram(),
    linesReceived: 0,
    outOfOrder: 0,
    perCommand: new Map(),
    heartbeatsSeen: new Map(),
    closeCode: null,
    version: -1,
    versioned: 0,
    versionGaps: 0,
    lastStateAt: nowMs(),
    maxSilenceMs: 0,
    rolloutsEnded: new Set(),
    failures: 0,
    reconnectInitMs: [],
    reconnectUpgradeMs: [],
    connectionEvents: {},
    hosts: start.reconnect ? new HostWatch() : null,
  };
}

/** Opens the browser's socket and resolves at its init; with reconnect, it comes back by itself whenever it is lost. */
async function connect(start: BrowserWorkerStart, browser: SimBrowser, index: number, reconnecting: boolean): Promise<void> {
  const attemptedAt = nowMs();
  let resolveInit: () => void = () => {};
  const init = new Promise<void>((resolve) => (resolveInit = resolve));
  const handlers = {
    onText: (payload: Buffer) => {
      browser.failures = 0;
      if (!startsWith(payload, INIT_PREFIX)) return onFrame(browser, payload);
      const now = nowMs();
      // The versions that follow must continue from this one.
      browser.version = initVersion(payload);
      browser.lastStateAt = now;
      browser.hosts?.init(payload, now);
      if (reconnecting) browser.reconnectInitMs.push(now - attemptedAt);
      resolveInit();
      // The stalled browser stops reading its socket right after init, for a while.
      if (index === start.stalledIndex) {
        browser.socket?.pause();
        setTimeout(() => browser.socket?.resume(), start.stallMs);
      }
    },
  };
  const count = (event: string) => (browser.connectionEvents[event] = (browser.connectionEvents[event] ?? 0) + 1);
  const retry = () => {
    if (stopping) return;
    setTimeout(() => void connect(start, browser, index, true), retryDelayMs(browser.failures++));
  };
  let socket: LiteSocket;
  try {
    socket = await connectLite(start.wsUrl, { cookie: start.cookie, 'sec-websocket-extensions': BROWSER_EXTENSIONS }, handlers);
  } catch (err) {
    if (!start.reconnect) throw err;
    count(err instanceof UpgradeRefused ? `refused ${err.status}` : 'no connection');
    return retry();
  }
  browser.socket = socket;
  if (reconnecting) browser.reconnectUpgradeMs.push(nowMs() - attemptedAt);
  void socket.closed.then((code) => {
    browser.closeCode = code;
    if (!start.reconnect) return;
    count(`closed ${code}`);
    retry();
  });
  await init;
}

function report(): BrowserReport[] {
  return browsers.map((b) => ({
    linesReceived: b.linesReceived,
    outOfOrder: b.outOfOrder,
    perCommand: Object.fromEntries(b.perCommand),
    output: { counts: b.output.counts, count: b.output.count, max: b.output.max },
    heartbeat: { counts: b.heartbeat.counts, count: b.heartbeat.count, max: b.heartbeat.max },
    closeCodes: b.closeCode === null ? {} : { [String(b.closeCode)]: 1 },
    versioned: b.versioned,
    versionGaps: b.versionGaps,
    maxSilenceMs: Math.max(b.maxSilenceMs, nowMs() - b.lastStateAt),
    reconnectInitMs: b.reconnectInitMs,
    reconnectUpgradeMs: b.reconnectUpgradeMs,
    connectionEvents: b.connectionEvents,
    presence: b.hosts?.report() ?? null,
  }));
}

/** The worst heartbeat latency of each second (from the last restart-timing), over this worker's browsers: where the tail is. */
let timingSince = nowMs();
let worstBySecond: number[] = [];
/** How busy this worker's thread was since the last restart-timing (1: it never waited): a saturated load generator shows here. */
let eluSince = performance.eventLoopUtilization();
/** The same since the scenario started (`mark`). */
let eluMark = performance.eventLoopUtilization();
function noteHeartbeatSecond(now: number, latencyMs: number): void {
  const second = Math.floor((now - timingSince) / 1000);
  if (second >= 0) worstBySecond[second] = Math.max(worstBySecond[second] ?? 0, latencyMs);
}

function restartTiming(): void {
  timingSince = nowMs();
  worstBySecond = [];
  eluSince = performance.eventLoopUtilization();
  for (const b of browsers) {
    b.heartbeat = new Histogram();
    b.maxSilenceMs = 0;
    b.lastStateAt = nowMs();
  }
}

port.on('message', (request: BrowserWorkerRequest) => {
  if (request.type === 'start') {
    const started = Array.from({ length: request.count }, (_, i) => {
      const browser = newBrowser(request);
      browsers.push(browser);
      return connect(request, browser, i, false);
    });
    void Promise.all(started).then(() => reply({ type: 'connected', count: browsers.length }));
  } else if (request.type === 'report') {
    const busy = performance.eventLoopUtilization(eluSince).utilization;
    const busySinceMark = performance.eventLoopUtilization(eluMark).utilization;
    reply({ type: 'report', browsers: report(), worstHeartbeatBySecond: Array.from(worstBySecond, (ms) => ms ?? 0), timingSince, busy, busySinceMark });
  } else if (request.type === 'restart-timing') {
    restartTiming();
  } else if (request.type === 'mark') {
    eluMark = performance.eventLoopUtilization();
  } else {
    stopping = true;
    for (const b of browsers) b.socket?.terminate();
    reply({ type: 'stopped' });
  }
});

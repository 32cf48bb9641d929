// Simulated browsers in a worker thread: logged-in sockets that read everything the dashboard sends,
// time every output line and heartbeat from its stamp, count lines lost or out of order, check that
// state messages come with consecutive versions and without long silences, and say when a rollout ends.
// With `reconnect` they come back as the web page does when the dashboard restarts, time their first
// `init`, and watch every host's presence.
import { parentPort } from 'node:worker_threads';
import { BROWSER_EXTENSIONS, connectLite, UpgradeRefused, type LiteSocket } from './lite-socket.js';
import { Histogram, nowMs } from './histogram.js';
import { HostWatch } from './host-watch.js';
import {
  BATCH_PREFIX,
  decodeHost,
  HOST_UPDATE_PREFIX,
  INIT_PREFIX,
  initVersion,
  OUTPUT_PREFIX,
  OutputFrameReader,
  rolloutIdAndStatus,
  ROLLOUT_UPDATE_PREFIX,
  startsWith,
  trailingVersion,
} from './frame-reading.js';
import { retryDelayMs } from '../src/web/net/backoff.js';
import { askingForOutputBatches } from '../src/web/net/dashboard-url.js';
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

const FINAL_ROLLOUT_STATUSES = new Set(['succeeded', 'failed', 'halted', 'cancelled']);

function onRolloutUpdate(browser: SimBrowser, payload: Buffer, now: number): void {
  const read = rolloutIdAndStatus(payload);
  if (!read) return;
  const { rolloutId, status } = read;
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

/** One reader for every browser of this worker: frames are read one at a time. */
const output = new OutputFrameReader();

function onFrame(browser: SimBrowser, payload: Buffer): void {
  const now = nowMs();
  if (output.start(payload)) {
    do {
      let state = browser.perCommand.get(output.commandId);
      if (!state) {
        state = { lines: 0, nextSeq: 0 };
        browser.perCommand.set(output.commandId, state);
      }
      while (output.nextLine()) {
        if (output.seq < state.nextSeq) browser.outOfOrder++;
        else state.nextSeq = output.seq + 1;
        state.lines++;
        browser.linesReceived++;
        if (Number.isFinite(output.sentAt)) browser.output.record(now - output.sentAt);
      }
    } while (output.nextCommand());
    return;
  }
  if (startsWith(payload, OUTPUT_PREFIX) || startsWith(payload, BATCH_PREFIX)) return;
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
      browser.hosts?.init(payload, now, browser.heartbeatsSeen);
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
    // As the web page does: the live output of several commands in one message.
    socket = await connectLite(askingForOutputBatches(start.wsUrl), { cookie: start.cookie, 'sec-websocket-extensions': BROWSER_EXTENSIONS }, handlers);
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

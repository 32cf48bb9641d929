// Simulated browsers in a worker thread: logged-in sockets that read everything the dashboard sends,
// time every output line and heartbeat from its stamp, and count lines lost or out of order.
import { parentPort } from 'node:worker_threads';
import { connectLite, type LiteSocket } from './lite-socket.js';
import { Histogram, nowMs } from './histogram.js';
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
  /** The generation last seen per host: other updates repeat it, and only a new one times a heartbeat. */
  generations: Map<string, string>;
  closeCode: number | null;
}

const browsers: SimBrowser[] = [];

function reply(message: BrowserWorkerReply): void {
  port?.postMessage(message);
}

interface Frame {
  type: string;
  payload: {
    command_id?: string;
    lines?: { seq: number; line: string }[];
    host?: { id?: string; generation?: string };
  };
}

/** An output frame as every browser of this worker needs it: decoded once, not once per browser. */
interface DecodedOutput {
  commandId: string;
  seqs: number[];
  sentAt: number[];
}

/**
 * The browsers of one worker receive the same frames, byte for byte. Decoding each only once keeps
 * the load generator from eating the CPU the dashboard under test needs (it is the load generator,
 * not the dashboard, that pays for 20 browsers × 15,000 frames a second in scenario b). Frames are
 * recognised by two hashes of their head (which holds the command id and the first seq) and their
 * length, without making a string of them.
 */
const decoded = new Map<number, DecodedOutput | null>();
const DECODED_KEPT = 5_000;
const HASHED_BYTES = 256;

function frameKey(payload: Buffer): number {
  let fnv = 0x811c9dc5;
  let djb = 5381;
  const end = Math.min(payload.length, HASHED_BYTES);
  for (let i = 0; i < end; i++) {
    const byte = payload[i] as number;
    fnv = Math.imul(fnv ^ byte, 0x01000193);
    djb = (Math.imul(djb, 33) + byte) | 0;
  }
  // 53 bits of the two hashes and the length: collisions over a few thousand frames are negligible.
  return ((fnv >>> 0) * 2 ** 21 + ((djb ^ payload.length) & 0x1fffff));
}

function decodeOutput(payload: Buffer): DecodedOutput | null {
  const key = frameKey(payload);
  let entry = decoded.get(key);
  if (entry !== undefined) return entry;
  const frame = JSON.parse(payload.toString()) as Frame;
  entry = null;
  if (frame.type === 'command_output' && frame.payload.command_id && frame.payload.lines) {
    const lines = frame.payload.lines;
    entry = { commandId: frame.payload.command_id, seqs: lines.map((l) => l.seq), sentAt: lines.map((l) => Number.parseFloat(l.line)) };
  }
  if (decoded.size >= DECODED_KEPT) decoded.delete(decoded.keys().next().value as number);
  decoded.set(key, entry);
  return entry;
}

const decodedHosts = new Map<string, { id: string; generation: string }>();

/** The host of a host_update, decoded once per worker (see decodeOutput). */
function decodeHost(payload: Buffer): { id: string; generation: string } {
  const text = payload.toString();
  let entry = decodedHosts.get(text);
  if (entry) return entry;
  const host = (JSON.parse(text) as Frame).payload.host;
  entry = { id: host?.id ?? '', generation: host?.generation ?? '' };
  if (decodedHosts.size >= DECODED_KEPT) decodedHosts.delete(decodedHosts.keys().next().value as string);
  decodedHosts.set(text, entry);
  return entry;
}

const OUTPUT_PREFIX = Buffer.from('{"type":"command_output"');
const HOST_UPDATE_PREFIX = Buffer.from('{"type":"host_update"');
const INIT_PREFIX = Buffer.from('{"type":"init"');
const startsWith = (payload: Buffer, prefix: Buffer) => payload.length >= prefix.length && payload.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;

function onFrame(browser: SimBrowser, payload: Buffer): void {
  const now = nowMs();
  if (startsWith(payload, OUTPUT_PREFIX)) {
    const output = decodeOutput(payload);
    if (!output) return;
    let state = browser.perCommand.get(output.commandId);
    if (!state) {
      state = { lines: 0, nextSeq: 0 };
      browser.perCommand.set(output.commandId, state);
    }
    for (let i = 0; i < output.seqs.length; i++) {
      const seq = output.seqs[i] as number;
      if (seq < state.nextSeq) browser.outOfOrder++;
      else state.nextSeq = seq + 1;
      state.lines++;
      browser.linesReceived++;
      const sentAt = output.sentAt[i] as number;
      if (Number.isFinite(sentAt)) browser.output.record(now - sentAt);
    }
    return;
  }
  if (startsWith(payload, HOST_UPDATE_PREFIX)) {
    const host = decodeHost(payload);
    const id = host.id;
    const generation = host.generation;
    if (!generation.startsWith('hb-') || browser.generations.get(id) === generation) return;
    browser.generations.set(id, generation);
    browser.heartbeat.record(now - Number.parseFloat(generation.slice(3)));
  }
}

async function connect(start: BrowserWorkerStart, index: number): Promise<void> {
  const browser: SimBrowser = {
    socket: null,
    output: new Histogram(),
    heartbeat: new Histogram(),
    linesReceived: 0,
    outOfOrder: 0,
    perCommand: new Map(),
    generations: new Map(),
    closeCode: null,
  };
  browsers.push(browser);
  let resolveInit: () => void = () => {};
  const init = new Promise<void>((resolve) => (resolveInit = resolve));
  const socket = await connectLite(start.wsUrl, { cookie: start.cookie }, {
    onText: (payload) => {
      if (!startsWith(payload, INIT_PREFIX)) return onFrame(browser, payload);
      resolveInit();
      // The stalled browser stops reading its socket right after init, for a while.
      if (index === start.stalledIndex) {
        browser.socket?.pause();
        setTimeout(() => browser.socket?.resume(), start.stallMs);
      }
    },
  });
  browser.socket = socket;
  void socket.closed.then((code) => (browser.closeCode = code));
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
  }));
}

port.on('message', (request: BrowserWorkerRequest) => {
  if (request.type === 'start') {
    void Promise.all(Array.from({ length: request.count }, (_, i) => connect(request, i))).then(() =>
      reply({ type: 'connected', count: browsers.length }),
    );
  } else if (request.type === 'report') {
    reply({ type: 'report', browsers: report() });
  } else {
    for (const b of browsers) b.socket?.terminate();
    reply({ type: 'stopped' });
  }
});

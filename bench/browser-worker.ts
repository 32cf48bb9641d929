// Simulated browsers in a worker thread: logged-in sockets that read everything the dashboard sends,
// time every output line and heartbeat from its stamp, and count lines lost or out of order.
import { parentPort } from 'node:worker_threads';
import type net from 'node:net';
import WebSocket from 'ws';
import { Histogram, nowMs } from './histogram.js';
import type { BrowserReport, BrowserWorkerReply, BrowserWorkerRequest, BrowserWorkerStart } from './messages.js';

const port = parentPort;
if (!port) throw new Error('browser-worker must run as a worker');

interface SimBrowser {
  ws: WebSocket;
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

function onFrame(browser: SimBrowser, text: string): void {
  const frame = JSON.parse(text) as Frame;
  const now = nowMs();
  if (frame.type === 'command_output' && frame.payload.command_id && frame.payload.lines) {
    let state = browser.perCommand.get(frame.payload.command_id);
    if (!state) {
      state = { lines: 0, nextSeq: 0 };
      browser.perCommand.set(frame.payload.command_id, state);
    }
    for (const { seq, line } of frame.payload.lines) {
      if (seq < state.nextSeq) browser.outOfOrder++;
      else state.nextSeq = seq + 1;
      state.lines++;
      browser.linesReceived++;
      const sentAt = Number.parseFloat(line);
      if (Number.isFinite(sentAt)) browser.output.record(now - sentAt);
    }
  } else if (frame.type === 'host_update') {
    const id = frame.payload.host?.id ?? '';
    const generation = frame.payload.host?.generation ?? '';
    if (!generation.startsWith('hb-') || browser.generations.get(id) === generation) return;
    browser.generations.set(id, generation);
    browser.heartbeat.record(now - Number.parseFloat(generation.slice(3)));
  }
}

function connect(start: BrowserWorkerStart, index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(start.wsUrl, { headers: { cookie: start.cookie }, perMessageDeflate: false });
    const browser: SimBrowser = {
      ws,
      output: new Histogram(),
      heartbeat: new Histogram(),
      linesReceived: 0,
      outOfOrder: 0,
      perCommand: new Map(),
      generations: new Map(),
      closeCode: null,
    };
    browsers.push(browser);
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('{"type":"init"')) {
        resolve();
        // The stalled browser stops reading its socket right after init, for a while.
        if (index === start.stalledIndex) {
          const socket = (ws as unknown as { _socket: net.Socket })._socket;
          socket.pause();
          setTimeout(() => socket.resume(), start.stallMs);
        }
        return;
      }
      onFrame(browser, text);
    });
    ws.on('close', (code) => {
      browser.closeCode = code;
    });
    ws.on('error', reject);
  });
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
    for (const b of browsers) b.ws.terminate();
    reply({ type: 'stopped' });
  }
});

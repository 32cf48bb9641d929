// Simulated agents in a worker thread: they connect, register, heartbeat, take the command the
// benchmark sends each of them and stream numbered output for it, stamped with the time it was sent.
import { parentPort } from 'node:worker_threads';
import WebSocket from 'ws';
import { nowMs } from './histogram.js';
import type { AgentWorkerReply, AgentWorkerRequest, AgentWorkerStart, AgentWorkerStream } from './messages.js';

const port = parentPort;
if (!port) throw new Error('agent-worker must run as a worker');

/** Our agent batches at most every 20 ms. */
const BATCH_INTERVAL_MS = 20;

interface SimAgent {
  hostname: string;
  ws: WebSocket;
  commandId: string | null;
  seq: number;
}

const agents: SimAgent[] = [];
let heartbeatTimer: NodeJS.Timeout | null = null;
let settings: AgentWorkerStart | null = null;

function reply(message: AgentWorkerReply): void {
  port?.postMessage(message);
}

function connectOne(start: AgentWorkerStart, hostname: string): Promise<SimAgent | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(start.wsUrl, { headers: { authorization: `Bearer ${start.token}` }, perMessageDeflate: false });
    const agent: SimAgent = { hostname, ws, commandId: null, seq: 0 };
    ws.on('open', () => {
      const register: Record<string, unknown> = { hostname, host_type: 'nixos', agent_version: 'bench', heartbeat_interval: start.heartbeatIntervalS, generation: 'g0' };
      if (start.mode === 'v1') Object.assign(register, { protocol_version: 1, running: null });
      ws.send(JSON.stringify({ type: 'register', payload: register }));
    });
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; payload: { command_id?: string } };
      if (message.type === 'registered') resolve(agent);
      if (message.type === 'command' && message.payload.command_id) {
        agent.commandId = message.payload.command_id;
        agent.seq = 0;
        commandsSeen++;
      }
    });
    ws.on('error', () => resolve(null));
    ws.on('close', () => resolve(null));
  });
}

let commandsSeen = 0;

async function connectAll(start: AgentWorkerStart): Promise<void> {
  settings = start;
  const began = nowMs();
  let failed = 0;
  let next = 0;
  async function lane(): Promise<void> {
    while (next < start.hostnames.length) {
      const hostname = start.hostnames[next++] as string;
      const agent = await connectOne(start, hostname);
      if (agent) agents.push(agent);
      else failed++;
    }
  }
  await Promise.all(Array.from({ length: start.connectConcurrency }, lane));
  reply({ type: 'connected', count: agents.length, elapsedMs: nowMs() - began, failed });
  startHeartbeats(start);
}

/** Heartbeats spread evenly over the interval, stamped in `generation` so browsers can time them. */
function startHeartbeats(start: AgentWorkerStart): void {
  const tickMs = 100;
  const ticksPerInterval = Math.max(1, Math.round((start.heartbeatIntervalS * 1000) / tickMs));
  let tick = 0;
  heartbeatTimer = setInterval(() => {
    const slot = tick++ % ticksPerInterval;
    for (let i = slot; i < agents.length; i += ticksPerInterval) {
      const agent = agents[i] as SimAgent;
      if (agent.ws.readyState !== WebSocket.OPEN) continue;
      const payload = {
        generation: `hb-${nowMs().toFixed(3)}`,
        pending_command: agent.commandId ? 'switch' : null,
        command_pid: null,
        metrics: { cpu: 1, ram: 2, swap: 0, load: 0.1 },
        update_status: null,
        lock_hash: '',
      };
      agent.ws.send(JSON.stringify({ type: 'heartbeat', payload }));
    }
  }, tickMs);
}

function line(bytes: number): string {
  const stamp = nowMs().toFixed(3);
  return `${stamp} ${'o'.repeat(Math.max(0, bytes - stamp.length - 1))}`;
}

async function stream(request: AgentWorkerStream): Promise<void> {
  const mode = settings?.mode ?? 'v1';
  const started = nowMs();
  const sent: Record<string, number> = {};
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = Math.min(nowMs() - started, request.durationMs);
      // Lines are owed by the clock, not by ticks: a late tick sends a larger batch, as a real agent would.
      const due = Math.floor((elapsed * request.linesPerSecond) / 1000);
      for (const agent of agents) {
        if (!agent.commandId || agent.ws.readyState !== WebSocket.OPEN) continue;
        let count = due - agent.seq;
        while (count > 0) {
          const batch = Math.min(count, mode === 'v1' ? request.maxLinesPerFrame : 1);
          count -= batch;
          if (mode === 'v1') {
            const lines = Array.from({ length: batch }, () => ({ seq: agent.seq++, stream: 'stdout', line: line(request.lineBytes) }));
            agent.ws.send(JSON.stringify({ type: 'output', payload: { command_id: agent.commandId, lines } }));
          } else {
            agent.seq++;
            agent.ws.send(JSON.stringify({ type: 'output', payload: { line: line(request.lineBytes), stream: 'stdout', command: 'switch', is_error: false } }));
          }
        }
        sent[agent.commandId] = agent.seq;
      }
      if (elapsed >= request.durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, BATCH_INTERVAL_MS);
  });
  for (const agent of agents) {
    if (!agent.commandId || agent.ws.readyState !== WebSocket.OPEN) continue;
    const status: Record<string, unknown> = { status: 'ok', command: 'switch', exit_code: 0, message: 'bench' };
    if (mode === 'v1') status.command_id = agent.commandId;
    agent.ws.send(JSON.stringify({ type: 'status', payload: status }));
  }
  reply({ type: 'streamed', sent });
}

port.on('message', (request: AgentWorkerRequest) => {
  if (request.type === 'start') void connectAll(request);
  else if (request.type === 'stream') void stream(request);
  else {
    if (heartbeatTimer) clearInterval(heartbeatTimer);
    for (const agent of agents) agent.ws.terminate();
    reply({ type: 'stopped' });
  }
});

// Lets the main thread wait until every agent has its command.
setInterval(() => reply({ type: 'commands', count: commandsSeen }), 200).unref();

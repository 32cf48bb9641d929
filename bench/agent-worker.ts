// Simulated agents in a worker thread: they connect, register, heartbeat, take the command the
// benchmark sends each of them and stream numbered output for it, stamped with the time it was sent.
// With a `commandRun` they run every command they get by themselves instead (a rollout's steps):
// lines over a short time, then `status` ok, and they keep a log of what they received and when.
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { connectLite, type LiteSocket } from './lite-socket.js';
import { nowMs } from './histogram.js';
import type { AgentWorkerReply, AgentWorkerRequest, AgentWorkerStart, AgentWorkerStream, CommandRecord, CommandRun } from './messages.js';

const port = parentPort;
if (!port) throw new Error('agent-worker must run as a worker');

/**
 * Producing the load is not what is measured (a line is stamped when it is sent, so a late tick only
 * makes a larger batch): the agents yield the two shared cores to the dashboard and to the browsers
 * that time its output. On Linux the nice value of a thread is its own.
 */
const LOAD_NICE = 10;
try {
  os.setPriority(LOAD_NICE);
} catch {
  // Not allowed here: the agents then share the CPU evenly.
}

/** Our agent batches at most every 20 ms. */
const BATCH_INTERVAL_MS = 20;

interface SimAgent {
  hostname: string;
  socket: LiteSocket;
  open: boolean;
  commandId: string | null;
  seq: number;
  /** The name of the command it has, as heartbeats report it (null: nothing runs). */
  running: string | null;
  /** With a commandRun: every command received, and the one running now. */
  log: CommandRecord[];
  current: CommandRecord | null;
}

interface CommandMessage {
  command: string;
  command_id: string;
}

const agents: SimAgent[] = [];
let heartbeatTimer: NodeJS.Timeout | null = null;
let settings: AgentWorkerStart | null = null;

function reply(message: AgentWorkerReply): void {
  port?.postMessage(message);
}

async function connectOne(start: AgentWorkerStart, hostname: string): Promise<SimAgent | null> {
  let registered: (ok: boolean) => void = () => {};
  const done = new Promise<boolean>((resolve) => (registered = resolve));
  let agent: SimAgent | null = null;
  const socket = await connectLite(start.wsUrl, { authorization: `Bearer ${start.token}` }, {
    onText: (payload) => {
      const message = JSON.parse(payload.toString()) as { type: string; payload: Partial<CommandMessage> };
      if (message.type === 'registered') registered(true);
      const { command, command_id: commandId } = message.payload;
      if (message.type === 'command' && command && commandId && agent) {
        commandsSeen++;
        if (start.commandRun) takeCommand(agent, { command, command_id: commandId }, start.commandRun);
        else {
          agent.commandId = commandId;
          agent.running = command;
          agent.seq = 0;
        }
      }
    },
  }).catch(() => null);
  if (!socket) return null;
  agent = { hostname, socket, open: true, commandId: null, seq: 0, running: null, log: [], current: null };
  const self = agent;
  void socket.closed.then(() => {
    self.open = false;
    registered(false);
  });
  const register: Record<string, unknown> = { hostname, host_type: 'nixos', agent_version: 'bench', heartbeat_interval: start.heartbeatIntervalS, generation: 'g0' };
  if (start.mode === 'v1') Object.assign(register, { protocol_version: 1, running: null });
  socket.send(JSON.stringify({ type: 'register', payload: register }));
  return (await done) ? agent : null;
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
      if (!agent.open) continue;
      const payload = {
        generation: `hb-${nowMs().toFixed(3)}`,
        pending_command: agent.running,
        command_pid: null,
        metrics: { cpu: 1, ram: 2, swap: 0, load: 0.1 },
        update_status: null,
        lock_hash: '',
      };
      agent.socket.send(JSON.stringify({ type: 'heartbeat', payload }));
    }
  }, tickMs);
}

function line(bytes: number): string {
  const stamp = nowMs().toFixed(3);
  return `${stamp} ${'o'.repeat(Math.max(0, bytes - stamp.length - 1))}`;
}

/** Agents send on their own phase of the 20 ms batch interval, as real agents with their own timers do. */
const PHASES = 10;
const PHASE_MS = BATCH_INTERVAL_MS / PHASES;

async function stream(request: AgentWorkerStream): Promise<void> {
  const mode = settings?.mode ?? 'v1';
  const started = nowMs();
  const sent: Record<string, number> = {};
  const sendDue = (agent: SimAgent, due: number) => {
    if (!agent.commandId || !agent.open) return;
    let count = due - agent.seq;
    while (count > 0) {
      const batch = Math.min(count, mode === 'v1' ? request.maxLinesPerFrame : 1);
      count -= batch;
      if (mode === 'v1') {
        const lines = Array.from({ length: batch }, () => ({ seq: agent.seq++, stream: 'stdout', line: line(request.lineBytes) }));
        agent.socket.send(JSON.stringify({ type: 'output', payload: { command_id: agent.commandId, lines } }));
      } else {
        agent.seq++;
        agent.socket.send(JSON.stringify({ type: 'output', payload: { line: line(request.lineBytes), stream: 'stdout', command: 'switch', is_error: false } }));
      }
    }
    sent[agent.commandId] = agent.seq;
  };
  let tick = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = Math.min(nowMs() - started, request.durationMs);
      // Lines are owed by the clock, not by ticks: a late tick sends a larger batch, as a real agent would.
      const due = Math.floor((elapsed * request.linesPerSecond) / 1000);
      const finished = elapsed >= request.durationMs;
      const phase = tick++ % PHASES;
      for (let i = finished ? 0 : phase; i < agents.length; i += finished ? 1 : PHASES) sendDue(agents[i] as SimAgent, due);
      if (finished) {
        clearInterval(timer);
        resolve();
      }
    }, PHASE_MS);
  });
  for (const agent of agents) {
    if (!agent.commandId || !agent.open) continue;
    const status: Record<string, unknown> = { status: 'ok', command: 'switch', exit_code: 0, message: 'bench' };
    if (mode === 'v1') status.command_id = agent.commandId;
    agent.socket.send(JSON.stringify({ type: 'status', payload: status }));
  }
  reply({ type: 'streamed', sent });
}

/** Agents running a command of their own (commandRun), moved on every batch interval. */
const runningAgents = new Set<SimAgent>();
let runTimer: NodeJS.Timeout | null = null;

/**
 * Takes a command as this repository's agent does: a repeat of the running one is ignored, a repeat
 * of a finished one gets its status again, and another command while one runs is refused.
 */
function takeCommand(agent: SimAgent, message: CommandMessage, run: CommandRun): void {
  const known = agent.log.find((record) => record.command_id === message.command_id);
  if (known) {
    known.repeats++;
    if (known.endedAt !== null && !known.rejected) sendStatus(agent, known);
    return;
  }
  const record: CommandRecord = { ...message, receivedAt: nowMs(), endedAt: null, lines: 0, rejected: false, repeats: 0 };
  agent.log.push(record);
  if (agent.current) {
    record.rejected = true;
    record.endedAt = record.receivedAt;
    const payload = { reason: 'busy', current_command: agent.current.command, current_pid: null, command_id: message.command_id };
    agent.socket.send(JSON.stringify({ type: 'command_rejected', payload }));
    return;
  }
  agent.current = record;
  agent.running = record.command;
  runningAgents.add(agent);
  runTimer ??= setInterval(() => runCommands(run), BATCH_INTERVAL_MS);
}

function sendStatus(agent: SimAgent, record: CommandRecord): void {
  const payload = { status: 'ok', command: record.command, command_id: record.command_id, exit_code: 0, message: 'bench' };
  agent.socket.send(JSON.stringify({ type: 'status', payload }));
}

/** Sends the lines each running command owes by the clock, and the status of those whose time is up. */
function runCommands(run: CommandRun): void {
  const now = nowMs();
  for (const agent of runningAgents) {
    const record = agent.current as CommandRecord;
    const elapsed = now - record.receivedAt;
    const due = Math.min(run.linesPerCommand, Math.floor((elapsed * run.linesPerCommand) / run.commandMs));
    if (due > record.lines && agent.open) {
      const lines = [];
      for (let seq = record.lines; seq < due; seq++) lines.push({ seq, stream: 'stdout', line: line(run.lineBytes) });
      agent.socket.send(JSON.stringify({ type: 'output', payload: { command_id: record.command_id, lines } }));
      record.lines = due;
    }
    if (elapsed < run.commandMs) continue;
    record.endedAt = nowMs();
    if (agent.open) sendStatus(agent, record);
    agent.current = null;
    agent.running = null;
    runningAgents.delete(agent);
  }
  if (runningAgents.size === 0 && runTimer) {
    clearInterval(runTimer);
    runTimer = null;
  }
}

port.on('message', (request: AgentWorkerRequest) => {
  if (request.type === 'start') void connectAll(request);
  else if (request.type === 'stream') void stream(request);
  else if (request.type === 'log') reply({ type: 'log', hosts: Object.fromEntries(agents.map((agent) => [agent.hostname, agent.log])) });
  else {
    if (heartbeatTimer) clearInterval(heartbeatTimer);
    if (runTimer) clearInterval(runTimer);
    for (const agent of agents) agent.socket.terminate();
    reply({ type: 'stopped' });
  }
});

// Lets the main thread wait until every agent has its command.
setInterval(() => reply({ type: 'commands', count: commandsSeen }), 200).unref();

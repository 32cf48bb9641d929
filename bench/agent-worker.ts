// Simulated agents in a worker thread: they connect, register, heartbeat, take the command the
// benchmark sends each of them and stream numbered output for it, stamped with the time it was sent.
// With `reconnect` they come back after losing their socket as this repository's agent does.
// With a `commandRun` they run every command they get by themselves instead (a rollout's steps):
// lines over a short time, then `status` ok, and they keep a log of what they received and when.
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { connectLite, UpgradeRefused } from './lite-socket.js';
import { nowMs } from './histogram.js';
import { AGENT_HANDSHAKE_TIMEOUT_MS, AGENT_REGISTER_TIMEOUT_MS, agentReconnectDelayMs, firstHeartbeatDelayMs, realHeartbeat, realRegister } from './real-agent.js';
import type { AgentWorkerReply, AgentWorkerRequest, AgentWorkerStart, AgentWorkerStream, Refusal, StormReport } from './messages.js';
import { CommandRunner } from './command-runner.js';
import { BATCH_INTERVAL_MS, line, newAgent, type CommandMessage, type SimAgent } from './sim-agent.js';

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

const agents: SimAgent[] = [];
/** With a commandRun: the agents' commands, run by themselves. */
let runner: CommandRunner | null = null;
let heartbeatTimer: NodeJS.Timeout | null = null;
let settings: AgentWorkerStart | null = null;
let stopping = false;
/** With reconnect: what the attempts met (for the storm report). */
const refusals: Refusal[] = [];
const connectErrors: { code: string; atMs: number }[] = [];
const attemptTimes: number[] = [];
const registerTimeoutTimes: number[] = [];
const namedRunningTimes: number[] = [];

function reply(message: AgentWorkerReply): void {
  port?.postMessage(message);
}

/** What the agent sends first on every socket: as the real agent (reconnect), or the smallest valid v0/v1 one. */
function registerPayload(start: AgentWorkerStart, agent: SimAgent): Record<string, unknown> {
  if (start.reconnect) {
    const running = agent.commandId && agent.running ? { command_id: agent.commandId, command: agent.running, pid: null } : null;
    if (running) namedRunningTimes.push(nowMs());
    return realRegister(agent.hostname, start.heartbeatIntervalS, running);
  }
  const register: Record<string, unknown> = { hostname: agent.hostname, host_type: 'nixos', agent_version: 'bench', heartbeat_interval: start.heartbeatIntervalS, generation: 'g0' };
  if (start.mode === 'v1') Object.assign(register, { protocol_version: 1, running: null });
  return register;
}

/** One connection attempt: connect, register; true once registered, false when it failed or closed first. */
async function connectOne(start: AgentWorkerStart, agent: SimAgent): Promise<boolean> {
  let registered: (ok: boolean) => void = () => {};
  const done = new Promise<boolean>((resolve) => (registered = resolve));
  let registerTimer: NodeJS.Timeout | null = null;
  const attemptedAt = nowMs();
  if (start.reconnect) attemptTimes.push(attemptedAt);
  const handlers = {
    onText: (payload: Buffer) => {
      const message = JSON.parse(payload.toString()) as { type: string; payload: Partial<CommandMessage> };
      if (message.type === 'registered') {
        if (registerTimer) clearTimeout(registerTimer);
        agent.registered = true;
        agent.attempt = 0;
        agent.registeredAt.push(nowMs());
        // The real agent's heartbeat clock starts again at each register.
        if (start.reconnect) agent.heartbeatDueAt = nowMs() + firstHeartbeatDelayMs(start.heartbeatIntervalS * 1000);
        registered(true);
      }
      const { command, command_id: commandId } = message.payload;
      if (message.type === 'command' && command && commandId) {
        commandsSeen++;
        if (start.commandRun) (runner ??= new CommandRunner(start.commandRun)).take(agent, { command, command_id: commandId });
        else {
          agent.commandId = commandId;
          agent.running = command;
          agent.seq = 0;
        }
      }
    },
  };
  const timeouts = start.reconnect ? { handshakeTimeoutMs: AGENT_HANDSHAKE_TIMEOUT_MS } : {};
  const socket = await connectLite(start.wsUrl, { authorization: `Bearer ${start.token}` }, handlers, timeouts).catch((err: unknown) => {
    if (err instanceof UpgradeRefused) refusals.push({ hostname: agent.hostname, status: err.status, atMs: attemptedAt });
    else connectErrors.push({ code: (err as NodeJS.ErrnoException).code ?? (err as Error).message, atMs: nowMs() });
    return null;
  });
  if (!socket) {
    if (start.reconnect) scheduleReconnect(start, agent);
    return false;
  }
  agent.socket = socket;
  void socket.closed.then(() => {
    if (registerTimer) clearTimeout(registerTimer);
    if (agent.socket !== socket) return;
    agent.socket = null;
    agent.registered = false;
    registered(false);
    if (start.reconnect) scheduleReconnect(start, agent);
  });
  socket.send(JSON.stringify({ type: 'register', payload: registerPayload(start, agent) }));
  if (start.reconnect) {
    // Judged after the frames that came meanwhile are read (see connectLite's handshake timeout).
    registerTimer = setTimeout(() => {
      setImmediate(() => {
        if (agent.registered || agent.socket !== socket) return;
        registerTimeoutTimes.push(nowMs());
        socket.terminate();
      });
    }, AGENT_REGISTER_TIMEOUT_MS);
  }
  return done;
}

/** The agent's backoff: the next attempt after a random wait below a ceiling that doubles with each failure. */
function scheduleReconnect(start: AgentWorkerStart, agent: SimAgent): void {
  if (stopping || agent.retryTimer) return;
  agent.retryTimer = setTimeout(() => {
    agent.retryTimer = null;
    void connectOne(start, agent);
  }, agentReconnectDelayMs(agent.attempt++));
}

let commandsSeen = 0;

async function connectAll(start: AgentWorkerStart): Promise<void> {
  settings = start;
  const began = nowMs();
  let failed = 0;
  let next = 0;
  async function lane(): Promise<void> {
    while (next < start.hostnames.length) {
      const agent = newAgent(start.hostnames[next++] as string);
      agents.push(agent);
      // Without reconnect an agent that failed is left out; with it, it keeps trying on its own.
      if (!(await connectOne(start, agent))) failed++;
    }
  }
  await Promise.all(Array.from({ length: start.connectConcurrency }, lane));
  reply({ type: 'connected', count: agents.length - failed, elapsedMs: nowMs() - began, failed });
  startHeartbeats(start);
}

/** When the agents last checked their facts (a real agent does every few minutes, not each heartbeat). */
const checkedAt = new Date().toISOString();

function sendHeartbeat(agent: SimAgent): void {
  const sentAt = nowMs();
  const payload = settings?.reconnect
    ? realHeartbeat(sentAt, agent.running, checkedAt)
    : { generation: 'g0', pending_command: agent.running, command_pid: null, metrics: { cpu: 1, ram: 2, swap: 0, load: sentAt }, update_status: null, lock_hash: '' };
  agent.socket?.send(JSON.stringify({ type: 'heartbeat', payload }));
}

/** How the agents came back since `sinceMs`. */
function stormReport(sinceMs: number): StormReport {
  const since = <T extends { atMs: number }>(items: T[]) => items.filter((item) => item.atMs >= sinceMs);
  const errors: Record<string, number> = {};
  for (const { code } of since(connectErrors)) errors[code] = (errors[code] ?? 0) + 1;
  const count = (times: number[]) => times.filter((t) => t >= sinceMs).length;
  return {
    registeredAtMs: Object.fromEntries(agents.map((agent) => [agent.hostname, agent.registeredAt.find((t) => t >= sinceMs) ?? NaN])),
    refusals: since(refusals),
    connectErrors: errors,
    attempts: count(attemptTimes),
    registerTimeouts: count(registerTimeoutTimes),
    namedRunning: count(namedRunningTimes),
  };
}

/** Heartbeats are sent on each agent's own clock, checked this often. */
const HEARTBEAT_TICK_MS = 100;

/**
 * Heartbeats every interval on each agent's own clock, their send time in `metrics.load` so browsers
 * can time them. Agents connected together get phases spread evenly over the interval, as agents started at
 * different times have; an agent that reconnects (`reconnect`) starts its clock as the real one does.
 */
function startHeartbeats(start: AgentWorkerStart): void {
  const intervalMs = start.heartbeatIntervalS * 1000;
  const began = nowMs();
  agents.forEach((agent, i) => (agent.heartbeatDueAt ??= began + ((i * HEARTBEAT_TICK_MS) % intervalMs)));
  heartbeatTimer = setInterval(() => {
    const now = nowMs();
    for (const agent of agents) {
      if (!agent.registered || agent.heartbeatDueAt === null || now < agent.heartbeatDueAt) continue;
      sendHeartbeat(agent);
      agent.heartbeatDueAt += intervalMs;
      if (agent.heartbeatDueAt <= now) agent.heartbeatDueAt = now + intervalMs;
    }
  }, HEARTBEAT_TICK_MS);
}

/** Agents send on their own phase of the 20 ms batch interval, as real agents with their own timers do. */
const PHASES = 10;
const PHASE_MS = BATCH_INTERVAL_MS / PHASES;

async function stream(request: AgentWorkerStream): Promise<void> {
  const mode = settings?.mode ?? 'v1';
  const started = nowMs();
  const sent: Record<string, number> = {};
  let frames = 0;
  const sendDue = (agent: SimAgent, due: number) => {
    if (!agent.commandId || !agent.registered) return;
    let count = due - agent.seq;
    while (count > 0) {
      const batch = Math.min(count, mode === 'v1' ? request.maxLinesPerFrame : 1);
      count -= batch;
      frames++;
      if (mode === 'v1') {
        const lines = Array.from({ length: batch }, () => ({ seq: agent.seq++, stream: 'stdout', line: line(request.lineBytes) }));
        agent.socket?.send(JSON.stringify({ type: 'output', payload: { command_id: agent.commandId, lines } }));
      } else {
        agent.seq++;
        agent.socket?.send(JSON.stringify({ type: 'output', payload: { line: line(request.lineBytes), stream: 'stdout', command: 'switch', is_error: false } }));
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
    if (!agent.commandId || !agent.registered) continue;
    const status: Record<string, unknown> = { status: 'ok', command: 'switch', exit_code: 0, message: 'bench' };
    if (mode === 'v1') status.command_id = agent.commandId;
    agent.socket?.send(JSON.stringify({ type: 'status', payload: status }));
  }
  reply({ type: 'streamed', sent, frames });
}

port.on('message', (request: AgentWorkerRequest) => {
  if (request.type === 'start') void connectAll(request);
  else if (request.type === 'stream') void stream(request);
  else if (request.type === 'storm') reply({ type: 'storm', ...stormReport(request.sinceMs) });
  else if (request.type === 'log') reply({ type: 'log', hosts: Object.fromEntries(agents.map((agent) => [agent.hostname, agent.log])) });
  else {
    if (heartbeatTimer) clearInterval(heartbeatTimer);
    runner?.stop();
    stopping = true;
    for (const agent of agents) {
      if (agent.retryTimer) clearTimeout(agent.retryTimer);
      agent.socket?.terminate();
    }
    reply({ type: 'stopped' });
  }
});

// Lets the main thread wait until every agent has its command.
setInterval(() => reply({ type: 'commands', count: commandsSeen }), 200).unref();

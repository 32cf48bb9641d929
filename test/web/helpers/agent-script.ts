// What a fake agent does in the web tests: take a command, print lines, report how it ended.
import { connectAgent, heartbeatPayload, registerPayload, TestSocket } from '../../helpers/sockets.js';

/** Long enough that a connected test agent never goes offline for missing heartbeats mid-test. */
export const TEST_HEARTBEAT_INTERVAL_S = 600;

export interface ReceivedCommand {
  command: string;
  command_id: string;
}

/** Connects a v1 agent, registers `hostname` with `extra` fields and sends one heartbeat. */
export async function startAgent(wsUrl: string, hostname: string, extra: Record<string, unknown> = {}, heartbeat: Record<string, unknown> = {}): Promise<TestSocket> {
  const agent = await connectAgent(wsUrl, hostname, {
    protocol_version: 1,
    running: null,
    heartbeat_interval: TEST_HEARTBEAT_INTERVAL_S,
    ...extra,
  });
  agent.send('heartbeat', heartbeatPayload(heartbeat));
  return agent;
}

/** Connects with a host's own agent token and registers `hostname`; the dashboard's answer is returned. */
export async function agentWithToken(wsUrl: string, token: string, hostname: string): Promise<{ agent: TestSocket; reply: string }> {
  const agent = await TestSocket.connect(wsUrl, { authorization: `Bearer ${token}` });
  agent.send('register', registerPayload(hostname, { protocol_version: 1, running: null, heartbeat_interval: TEST_HEARTBEAT_INTERVAL_S }));
  const reply = await agent.next((m) => m.type === 'registered' || m.type === 'error');
  return { agent, reply: reply.type };
}

export async function nextCommand(agent: TestSocket): Promise<ReceivedCommand> {
  const { command, command_id } = (await agent.next('command')).payload;
  if (typeof command !== 'string' || typeof command_id !== 'string') throw new Error('a command frame without command and command_id');
  return { command, command_id };
}

export interface PrintOptions {
  /** The seq of the first line. */
  from?: number;
  /** Lines per output frame (the protocol allows at most 10,000). */
  batch?: number;
  /** Which lines go to stderr. */
  stderr?: (seq: number) => boolean;
}

/** Sends `count` numbered lines (`line <seq>`) as v1 output frames; returns the next seq. */
export function printLines(agent: TestSocket, commandId: string, count: number, options: PrintOptions = {}): number {
  const from = options.from ?? 0;
  const batch = options.batch ?? 1_000;
  for (let start = from; start < from + count; start += batch) {
    const lines = [];
    for (let seq = start; seq < Math.min(start + batch, from + count); seq++) {
      lines.push({ seq, stream: options.stderr?.(seq) ? 'stderr' : 'stdout', line: `line ${seq}` });
    }
    agent.send('output', { command_id: commandId, lines });
  }
  return from + count;
}

export function sendLines(agent: TestSocket, commandId: string, lines: { seq: number; stream: 'stdout' | 'stderr'; line: string }[]): void {
  agent.send('output', { command_id: commandId, lines });
}

export function finish(agent: TestSocket, received: ReceivedCommand, status: 'ok' | 'error' = 'ok', exitCode = status === 'ok' ? 0 : 1): void {
  agent.send('status', { status, command: received.command, command_id: received.command_id, exit_code: exitCode, message: '' });
}

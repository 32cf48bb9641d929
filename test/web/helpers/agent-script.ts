// What a fake agent does in the web tests: take a command, print lines, report how it ended.
import type { RawData } from 'ws';
import type { Session } from '../../helpers/dashboard.js';
import { connectAgent, heartbeatPayload, registerPayload, TestSocket } from '../../helpers/sockets.js';
import { UI_WAIT_MS } from './browser.js';

/** Long enough that a connected test agent never goes offline for missing heartbeats mid-test. */
export const TEST_HEARTBEAT_INTERVAL_S = 600;

export interface ReceivedCommand {
  command: string;
  command_id: string;
}

/** What every test agent registers with: protocol v1, idle, a heartbeat interval no test outlasts. */
const V1_REGISTRATION = { protocol_version: 1, running: null, heartbeat_interval: TEST_HEARTBEAT_INTERVAL_S };

/** Connects a v1 agent with the shared agent token, registers `hostname` with `extra` fields and sends one heartbeat. */
export async function startAgent(wsUrl: string, hostname: string, extra: Record<string, unknown> = {}, heartbeat: Record<string, unknown> = {}): Promise<TestSocket> {
  const agent = await connectAgent(wsUrl, hostname, { ...V1_REGISTRATION, ...extra });
  agent.send('heartbeat', heartbeatPayload(heartbeat));
  return agent;
}

/** As startAgent, with the host's own agent token (createHostToken) instead of the shared one. */
export async function startAgentWithToken(
  wsUrl: string,
  token: string,
  hostname: string,
  extra: Record<string, unknown> = {},
  heartbeat: Record<string, unknown> = {},
): Promise<TestSocket> {
  const agent = await TestSocket.connect(wsUrl, { authorization: `Bearer ${token}` });
  agent.send('register', registerPayload(hostname, { ...V1_REGISTRATION, ...extra }));
  await agent.next('registered');
  agent.send('heartbeat', heartbeatPayload(heartbeat));
  return agent;
}

/** Connects with a host's own agent token and registers `hostname`; the dashboard's answer is returned. */
export async function agentWithToken(wsUrl: string, token: string, hostname: string): Promise<{ agent: TestSocket; reply: string }> {
  const agent = await TestSocket.connect(wsUrl, { authorization: `Bearer ${token}` });
  agent.send('register', registerPayload(hostname, V1_REGISTRATION));
  const reply = await agent.next((m) => m.type === 'registered' || m.type === 'error');
  return { agent, reply: reply.type };
}

/** Makes a host over the API (not the page), as the Add host dialog does, and returns its own agent token. */
export async function createHostToken(url: string, session: Session, hostname: string): Promise<string> {
  const response = await fetch(`${url}/api/hosts`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ hostname }),
  });
  if (response.status !== 201) throw new Error(`POST /api/hosts for ${hostname}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

/** The next command the agent is sent; as patient as the page's waits, since a click leads to it. */
export async function nextCommand(agent: TestSocket, timeoutMs = UI_WAIT_MS): Promise<ReceivedCommand> {
  const { command, command_id } = (await agent.next('command', timeoutMs)).payload;
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

/**
 * Answers every command the agent is sent from now on, one after the other, with `answer` (which may
 * wait, to hold a step until the test has seen it run). Returns the function that stops answering.
 */
export function answerCommands(agent: TestSocket, answer: (received: ReceivedCommand) => void | Promise<void>): () => void {
  let previous = Promise.resolve();
  const onMessage = (data: RawData) => {
    const message = JSON.parse(String(data)) as { type?: unknown; payload?: { command?: unknown; command_id?: unknown } };
    const { command, command_id } = message.payload ?? {};
    if (message.type !== 'command' || typeof command !== 'string' || typeof command_id !== 'string') return;
    previous = previous.then(() => answer({ command, command_id }));
  };
  agent.ws.on('message', onMessage);
  return () => agent.ws.off('message', onMessage);
}

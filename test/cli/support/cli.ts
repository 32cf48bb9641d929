// The nixfleet command as a real child process (built from its source: helpers/built-program.ts)
// against a real dashboard, with API tokens made the way an admin makes them, and fake agents on real
// sockets that answer commands with v1 output batches and a status.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { builtArgs } from '../../helpers/built-program.js';
import { login, startTestDashboard, type Session, type TestDashboard } from '../../helpers/dashboard.js';
import { connectAgent, type TestSocket } from '../../helpers/sockets.js';

export const CLI_ARGS = builtArgs('src/cli/main.ts');
/** Generous: a start on a loaded two-core machine, plus the work. */
export const CLI_TIMEOUT_MS = 60_000;

/** The test process's environment without any NIXFLEET_* variable, plus `env`. */
export function cliEnv(env: Record<string, string> = {}): Record<string, string> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('NIXFLEET_'))) as Record<string, string>;
  return { ...base, ...env };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  /** Everything on stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches (checked on every chunk). */
  waitForStdout(pattern: RegExp): Promise<void>;
  /** Resolves at its exit, with everything it wrote. */
  finished: Promise<CliRun>;
}

/** Starts `nixfleet <args>`; nothing is written to its stdin. */
export function startCli(args: string[], env: Record<string, string>): RunningCli {
  const child = spawn(process.execPath, [...CLI_ARGS, ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers: (() => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const watcher of [...watchers]) watcher();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const finished = new Promise<CliRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nixfleet ${args.join(' ')} did not exit within ${CLI_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`));
    }, CLI_TIMEOUT_MS);
    // 'close', not 'exit': it comes once the output pipes are drained too.
    child.once('close', (code) => {
      clearTimeout(timer);
      for (const watcher of [...watchers]) watcher();
      resolve({ code, stdout, stderr });
    });
  });
  const waitForStdout = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const watcher = () => {
        if (pattern.test(stdout)) {
          watchers.splice(watchers.indexOf(watcher), 1);
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          watchers.splice(watchers.indexOf(watcher), 1);
          reject(new Error(`nixfleet ${args.join(' ')} exited (${child.exitCode}) before printing ${pattern}:\n${stdout}\n${stderr}`));
        }
      };
      watchers.push(watcher);
      watcher();
    });
  return { stdout: () => stdout, stderr: () => stderr, waitForStdout, finished };
}

export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return startCli(args, env).finished;
}

export type Scope = 'read' | 'operate' | 'admin';

/** A real dashboard, logged in as the admin, who makes API tokens for the command line. */
export class CliDashboard {
  private constructor(
    readonly t: TestDashboard,
    readonly session: Session,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<CliDashboard> {
    const t = await startTestDashboard(env);
    return new CliDashboard(t, await login(t.url));
  }

  /** POST /api/tokens as the admin (cookie and CSRF token): the secret, shown this once. */
  async token(scope: Scope, name = `cli ${scope}`): Promise<string> {
    const made = await this.api('POST', '/api/tokens', { name, scope });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    return String(made.body.secret);
  }

  /** The environment the command line reads, for a token of this scope. */
  async env(scope: Scope): Promise<Record<string, string>> {
    return { NIXFLEET_URL: this.t.url, NIXFLEET_API_TOKEN: await this.token(scope) };
  }

  async api(method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { cookie: this.session.cookie, 'x-csrf-token': this.session.csrf };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.t.url}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  close(): Promise<void> {
    return this.t.close();
  }
}

/** What a fake agent does with a command: the lines it prints and how the command ends. */
export interface Script {
  lines: string[];
  status?: 'ok' | 'error';
  message?: string;
  /** Awaited after the first half of the lines was sent, before the rest and the status. */
  halfway?: () => Promise<void>;
}

/** Lines per v1 `output` frame: several frames per command, as a real agent sends them. */
const LINES_PER_FRAME = 3;

export interface FakeAgent {
  socket: TestSocket;
  /** The commands it was sent, in order. */
  received: { command: string; command_id: string }[];
  close(): Promise<void>;
}

/** Seconds between heartbeats the fake agents announce (and never send): the dashboard waits 3 × this. */
const QUIET_AGENT_HEARTBEAT_S = 600;

/**
 * An agent (protocol v1) that answers every `command` with `script(command)`: its lines in numbered
 * batches, then its status. `extra` goes into its register.
 */
export async function fakeAgent(wsUrl: string, hostname: string, script: (command: string) => Script, extra: Record<string, unknown> = {}): Promise<FakeAgent> {
  // It sends no heartbeats: a long interval keeps it online however long a loaded machine takes.
  const socket = await connectAgent(wsUrl, hostname, { protocol_version: 1, running: null, heartbeat_interval: QUIET_AGENT_HEARTBEAT_S, ...extra });
  const received: FakeAgent['received'] = [];
  socket.ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { type: string; payload: { command: string; command_id: string } };
    if (message.type !== 'command') return;
    const { command, command_id } = message.payload;
    received.push({ command, command_id });
    void answer(socket, command, command_id, script(command));
  });
  return { socket, received, close: () => socket.close().then(() => undefined) };
}

async function answer(socket: TestSocket, command: string, commandId: string, script: Script): Promise<void> {
  const lines = script.lines.map((line, seq) => ({ seq, stream: seq % 4 === 3 ? ('stderr' as const) : ('stdout' as const), line }));
  const half = Math.ceil(lines.length / 2);
  const send = (batch: typeof lines) => {
    for (let i = 0; i < batch.length; i += LINES_PER_FRAME) socket.send('output', { command_id: commandId, lines: batch.slice(i, i + LINES_PER_FRAME) });
  };
  send(lines.slice(0, half));
  if (script.halfway) await script.halfway();
  send(lines.slice(half));
  const ok = (script.status ?? 'ok') === 'ok';
  socket.send('status', { status: ok ? 'ok' : 'error', command, command_id: commandId, exit_code: ok ? 0 : 1, message: script.message ?? '' });
}

/** `count` numbered lines naming the host: `web-01 line 0`, … */
export function numberedLines(hostname: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${hostname} line ${i}`);
}

/** The lines of stdout that carry `hostname`'s prefix, without it. */
export function linesOf(stdout: string, hostname: string): string[] {
  const prefix = new RegExp(`^${hostname.replace(/[.]/g, '\\.')} *\\| `);
  return stdout
    .split('\n')
    .filter((line) => prefix.test(line))
    .map((line) => line.replace(prefix, ''));
}

// The real agent as a child process (src/agent/main.ts built: see helpers/built-program.ts), with a
// clean environment: only what the test gives it, so nothing of the machine running the tests
// (INVOCATION_ID, a real NIXFLEET_* variable) changes its behaviour.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtArgs } from '../../helpers/built-program.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const AGENT_MAIN = path.join(REPO_ROOT, 'src/agent/main.ts');

/** The file the agent processes run: AGENT_MAIN built to JavaScript. */
export function agentProgram(): string {
  return builtArgs(AGENT_MAIN)[0] as string;
}

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface AgentProcess {
  child: ChildProcess;
  pid: number;
  /** Everything the agent wrote to stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  exited: Promise<AgentExit>;
  /** SIGKILL, as if the machine had pulled the plug on it; resolves when it is gone. */
  kill(signal?: NodeJS.Signals): Promise<AgentExit>;
}

const running = new Set<AgentProcess>();
const cleanups = new Set<() => void>();

/**
 * Runs `cleanup` however the test process ends, also when the test runner stops it at its timeout
 * (SIGTERM) and `after` hooks never run: an agent left behind would retry a dead port forever.
 */
export function onTestProcessEnd(cleanup: () => void): void {
  if (cleanups.size === 0) {
    const runAll = () => {
      for (const fn of cleanups) fn();
      cleanups.clear();
    };
    process.once('exit', runAll);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        runAll();
        process.exit(1);
      });
    }
  }
  cleanups.add(cleanup);
}

onTestProcessEnd(() => {
  for (const agent of running) agent.child.kill('SIGKILL');
});

/** The environment an agent gets: PATH (with `binDir` first), HOME, and `env`. */
export function agentEnv(env: Record<string, string>, binDir?: string): Record<string, string> {
  const basePath = process.env.PATH ?? '/usr/bin:/bin';
  return {
    PATH: binDir ? `${binDir}${path.delimiter}${basePath}` : basePath,
    HOME: process.env.HOME ?? '/tmp',
    NIXFLEET_LOG_LEVEL: process.env.AGENT_LOG_LEVEL ?? 'info',
    ...env,
  };
}

export interface StartOptions {
  /**
   * Run src/agent/main.ts itself under tsx, as a developer does, rather than the built program: the
   * runner it starts for a command then runs from its TypeScript source too.
   */
  fromSource?: boolean;
}

export function startAgent(env: Record<string, string>, args: string[] = [], options: StartOptions = {}): AgentProcess {
  const program = options.fromSource ? ['--import', import.meta.resolve('tsx'), AGENT_MAIN] : [agentProgram()];
  const child = spawn(process.execPath, [...program, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (process.env.AGENT_LOG_LEVEL) process.stderr.write(chunk);
  });
  const exited = new Promise<AgentExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const agent: AgentProcess = {
    child,
    pid: child.pid ?? -1,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  running.add(agent);
  void exited.then(() => running.delete(agent));
  return agent;
}

/** Runs the agent to its exit (for flags and configuration errors). */
export async function runAgent(env: Record<string, string>, args: string[] = []): Promise<AgentExit & { stdout: string; stderr: string }> {
  const agent = startAgent(env, args);
  const exit = await agent.exited;
  return { ...exit, stdout: agent.stdout(), stderr: agent.stderr() };
}

/** The agents of this test process that have not exited. */
export function runningAgents(): AgentProcess[] {
  return [...running];
}

/** Kills every agent a test file started and did not stop; for `after`. */
export async function killAllAgents(): Promise<void> {
  await Promise.all([...running].map((agent) => agent.kill()));
}

// nixfleet-dashboard as a real child process (built from its source: helpers/built-program.ts), with
// only the NIXFLEET_* settings a test gives it: to run it to its exit, or to start it and wait until
// it listens.
import { spawn, type ChildProcess } from 'node:child_process';
import { builtArgs } from '../../helpers/built-program.js';

export const MAIN_ARGS = builtArgs('src/dashboard/main.ts');
/** Generous for a start on a loaded two-core machine. */
export const START_TIMEOUT_MS = 30_000;

/** The test process's environment without any NIXFLEET_* variable, plus `env`. */
export function programEnv(env: Record<string, string> = {}): Record<string, string> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('NIXFLEET_'))) as Record<string, string>;
  return { ...base, ...env };
}

export interface ProgramRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the program with `args` to its exit; `input` is written to its stdin, which is then closed. */
export function runProgram(args: string[], options: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<ProgramRun> {
  const child = spawn(process.execPath, [...MAIN_ARGS, ...args], {
    cwd: options.cwd,
    env: programEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nixfleet-dashboard ${args.join(' ')} did not exit within ${START_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`));
    }, START_TIMEOUT_MS);
    // 'close', not 'exit': it comes once the output pipes are drained too.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningProgram {
  child: ChildProcess;
  url: string;
  /** Everything it wrote so far, stdout and stderr together. */
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM, and its exit code. */
  stop(): Promise<number | null>;
}

/** Starts the program and resolves once it logged the URL it listens on. */
export async function startProgram(env: Record<string, string>): Promise<RunningProgram> {
  const child = spawn(process.execPath, MAIN_ARGS, { env: programEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    child,
    url,
    output: () => output,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

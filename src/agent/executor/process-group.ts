// Running one program of a command with its output piped back, in a process group of its own, so
// that stopping the command reaches every process it started and not the agent.
import { spawn } from 'node:child_process';
import type { Stream } from '../../protocol/model.js';
import { LineSplitter } from '../output/line-splitter.js';

/** After the program exits, how long background children may keep its pipes open before we stop reading. */
const STDIO_DRAIN_MS = 2_000;

export interface ProcessSpec {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Lead a new process group (default). The detached runner keeps its program in its own group instead. */
  newGroup?: boolean;
}

export interface StepResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Why the program could not be started or followed to its end; null when it ran. */
  error: string | null;
}

/** A program that runs: piped here, or detached and followed through its log. */
export interface RunningProcess {
  readonly pid: number | null;
  readonly done: Promise<StepResult>;
}

export type LineSink = (stream: Stream, line: string) => void;

/** Starts `spec`, normally as the leader of a new process group, and hands every output line to `sink`. */
export function startPiped(spec: ProcessSpec, sink: LineSink): RunningProcess {
  const [program, ...args] = spec.argv;
  if (program === undefined) throw new Error('startPiped: empty argv');
  const child = spawn(program, args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own group: a stop signals the group, which is the program and everything it started.
    detached: spec.newGroup ?? true,
  });
  const splitters = {
    stdout: new LineSplitter((line) => sink('stdout', line)),
    stderr: new LineSplitter((line) => sink('stderr', line)),
  };
  child.stdout.on('data', (chunk: Buffer) => splitters.stdout.write(chunk));
  child.stderr.on('data', (chunk: Buffer) => splitters.stderr.write(chunk));
  const done = new Promise<StepResult>((resolve) => {
    let settled = false;
    const settle = (result: StepResult) => {
      if (settled) return;
      settled = true;
      splitters.stdout.end();
      splitters.stderr.end();
      resolve(result);
    };
    child.once('error', (err) => {
      if (child.pid === undefined) settle({ exitCode: null, signal: null, error: `cannot run ${program}: ${err.message}` });
    });
    child.once('exit', () => {
      // A background child that inherited the pipes would keep them open for as long as it lives.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, STDIO_DRAIN_MS).unref();
    });
    child.once('close', (code, signal) => settle({ exitCode: code, signal, error: null }));
  });
  return { pid: child.pid ?? null, done };
}

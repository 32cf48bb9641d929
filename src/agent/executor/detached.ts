// Running a program so that it outlives the agent: a switch restarts the agent's own service, and the
// switch must go on and be reported by the next agent process.
//
// The program runs under the runner (runner.ts), which writes its output to a run log in the state dir.
// Under systemd the runner is put in a transient scope with systemd-run, outside the agent's cgroup,
// which systemd would otherwise kill with the agent; elsewhere a new session and process group is enough.
// The agent follows the log: it reads only as fast as the output can be kept, so nothing is dropped,
// and a new agent process can follow the same log from the start.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Stream } from '../../protocol/model.js';
import type { DetachMode } from '../config.js';
import type { ProcessSpec, RunningProcess, StepResult } from './process-group.js';
import { decodeRecord } from './run-log.js';

/** How often the log is checked for more output when there was none. */
const FOLLOW_POLL_MS = 25;
const READ_CHUNK_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

export interface FollowSink {
  /** Lines that can be taken now; following pauses at 0. */
  room(): number;
  push(stream: Stream, line: string): void;
}

/** The runner is a sibling module: `.ts` under tsx (which it then needs too), `.js` when built. */
function runnerCommand(): string[] {
  const self = fileURLToPath(import.meta.url);
  const extension = path.extname(self);
  const runner = path.join(path.dirname(self), `runner${extension}`);
  const loader = extension === '.ts' ? ['--import', import.meta.resolve('tsx')] : [];
  return [process.execPath, ...loader, runner];
}

/** Starts `spec` under the runner, writing to `logPath`; resolves with the runner's pid. */
export function startDetached(spec: ProcessSpec, logPath: string, mode: DetachMode, unitName: string): Promise<number> {
  // The log exists before the runner does, so a follower never races its creation.
  fs.writeFileSync(logPath, '', { mode: 0o600, flag: 'a' });
  const runner = [...runnerCommand(), logPath, spec.cwd, ...spec.argv];
  // A scope of the service manager the agent runs under: the system one as root, else the user's.
  const manager = process.getuid?.() === 0 ? [] : ['--user'];
  const argv = mode === 'systemd-run' ? ['systemd-run', ...manager, '--scope', '--quiet', '--collect', `--unit=${unitName}`, ...runner] : runner;
  const [program, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: spec.cwd, env: spec.env, stdio: 'ignore', detached: true });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      if (child.pid === undefined) reject(new Error(`no pid for ${program}`));
      else resolve(child.pid);
    });
  });
}

/**
 * Whether the runner of `logPath` still runs as `pid`. On Linux its command line must name the log:
 * after a reboot the pid in the state dir may belong to some other process now.
 */
export function runnerAlive(pid: number, logPath: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(logPath);
  } catch {
    return true; // No /proc (macOS): kill(0) said it exists.
  }
}

/** Whether `pid` is still a live process (a zombie is not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; Z is a zombie that nobody reaped yet.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // No /proc (macOS): kill(0) said it exists.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Follows the run log of the runner `pid` from the start until its end record, or until the runner is gone. */
export function followRunLog(logPath: string, pid: number, sink: FollowSink): RunningProcess {
  return { pid, done: follow(logPath, pid, sink) };
}

async function follow(logPath: string, pid: number, sink: FollowSink): Promise<StepResult> {
  const file = await fs.promises.open(logPath, 'r');
  let buffer = Buffer.alloc(READ_CHUNK_BYTES);
  let offset = 0;
  let runnerGone = false;
  try {
    for (;;) {
      if (sink.room() === 0) {
        await sleep(FOLLOW_POLL_MS);
        continue;
      }
      const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
      let consumed = 0;
      for (let end = buffer.indexOf(NEWLINE, 0); end !== -1 && end < bytesRead; end = buffer.indexOf(NEWLINE, consumed)) {
        if (sink.room() === 0) break;
        const record = decodeRecord(buffer.toString('utf8', consumed, end));
        consumed = end + 1;
        if (record?.kind === 'end') return record.result;
        if (record?.kind === 'line') sink.push(record.stream, record.line);
      }
      offset += consumed;
      if (consumed > 0) continue;
      if (bytesRead === buffer.length) {
        buffer = Buffer.alloc(buffer.length * 2); // One record longer than the buffer.
        continue;
      }
      // Nothing complete to read: the runner is still writing, or gone.
      if (runnerGone) return { exitCode: null, signal: null, error: 'the runner ended without recording how the command ended' };
      // Read once more after seeing it gone: it may have written its last records just before.
      runnerGone = !runnerAlive(pid, logPath);
      if (!runnerGone) await sleep(FOLLOW_POLL_MS);
    }
  } finally {
    await file.close();
  }
}

// Running git for the mirror of the fleet repository: no shell, no prompts, a time limit, and a process
// group of its own, so that a timeout or a stopping dashboard also ends the ssh or https helper git
// started. A failure carries git's own reason, the line a person can act on.
import { spawn } from 'node:child_process';
import { killGroupLater, signalGroup, type PendingKill } from '../../util/group-signals.js';
import { redactUrlCredentials } from './source.js';

/** A fetch over a slow link may take long; one that hangs must not hold the mirror forever. */
export const GIT_TIMEOUT_MS = 2 * 60_000;
/** After SIGTERM, how long git may take to remove its temporary files before it is killed. */
const KILL_GRACE_MS = 2_000;
/** The largest output we read (a flake.lock is some kilobytes). */
const STDOUT_MAX_BYTES = 16 * 1024 * 1024;
/** git's reason is in the last lines of what it says; the start of a long stderr is dropped. */
const STDERR_KEPT_CHARS = 16 * 1024;
/** A reason longer than this is cut: it is shown in the UI and sent to every browser. */
export const GIT_REASON_MAX_CHARS = 300;

export type GitErrorCode = 'git_failed' | 'git_timeout' | 'git_missing' | 'git_stopped' | 'git_output_too_large';

export class GitError extends Error {
  constructor(
    readonly code: GitErrorCode,
    /** What went wrong, in git's words where it said any. */
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface GitRun {
  /** The environment git runs with (see gitEnv). */
  env: NodeJS.ProcessEnv;
  /** Ends the run early: it rejects with `git_stopped`. */
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Exit codes that answer a question rather than fail (`merge-base --is-ancestor` says no with 1). */
  answerCodes?: readonly number[];
}

export interface GitOutput {
  stdout: Buffer;
  exitCode: number;
}

/**
 * The environment for git: never a prompt for a password (there is nobody to answer it), messages in
 * English so that reasons read the same everywhere, and the ssh key when one is configured.
 */
export function gitEnv(sshKeyPath: string | undefined, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, GIT_TERMINAL_PROMPT: '0', SSH_ASKPASS_REQUIRE: 'never', LC_ALL: 'C' };
  if (sshKeyPath) {
    // git runs GIT_SSH_COMMAND through the shell: the path is quoted so any character in it stays literal.
    const quoted = `'${sshKeyPath.replace(/'/g, `'\\''`)}'`;
    env.GIT_SSH_COMMAND = `ssh -i ${quoted} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new`;
  }
  return env;
}

/** Boilerplate git prints after the real reason; it says nothing a person can act on. */
const BOILERPLATE = [
  /^fatal: Could not read from remote repository\.?$/i,
  /^Please make sure you have the correct access rights$/i,
  /^and the repository exists\.?$/i,
];

/** git's reason for a failure: its last meaningful stderr line, without the `fatal:` prefix, bounded. */
export function gitReason(stderr: string): string {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('hint:') && !BOILERPLATE.some((pattern) => pattern.test(line)));
  const last = lines.at(-1) ?? 'git failed without saying why';
  return bound(redactUrlCredentials(last.replace(/^(fatal|error): /, '')));
}

function bound(text: string): string {
  return text.length > GIT_REASON_MAX_CHARS ? `${text.slice(0, GIT_REASON_MAX_CHARS - 1)}…` : text;
}

/** Runs `git <args>` and resolves with its output; rejects with a GitError on any failure. */
export function runGit(args: readonly string[], run: GitRun): Promise<GitOutput> {
  const timeoutMs = run.timeoutMs ?? GIT_TIMEOUT_MS;
  const what = `git ${args.find((arg) => !arg.startsWith('-')) ?? ''}`.trim();
  return new Promise((resolve, reject) => {
    if (run.signal?.aborted) return reject(new GitError('git_stopped', `${what} was stopped`));
    const child = spawn('git', args, {
      env: run.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // A group of its own and no controlling terminal: ssh cannot ask anyone, and a stop reaches it.
      detached: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let ended: GitError | null = null;
    let pendingKill: PendingKill | null = null;
    const end = (error: GitError) => {
      const pid = child.pid;
      if (ended || pid === undefined) return;
      ended = error;
      signalGroup(pid, 'SIGTERM');
      // Also reaches a helper that outlives git and would keep the pipes open.
      pendingKill = killGroupLater(pid, KILL_GRACE_MS);
    };
    const timer = setTimeout(() => end(new GitError('git_timeout', `${what} took longer than ${timeoutMs / 1000}s`)), timeoutMs);
    timer.unref();
    const onAbort = () => end(new GitError('git_stopped', `${what} was stopped`));
    run.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > STDOUT_MAX_BYTES) return end(new GitError('git_output_too_large', `${what} said more than ${STDOUT_MAX_BYTES} bytes`));
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT_CHARS);
    });
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return;
      const reason = err.code === 'ENOENT' ? 'git is not installed (not found on PATH)' : `cannot run git: ${err.message}`;
      settle(() => reject(new GitError('git_missing', reason)));
    });
    child.once('close', (code) => {
      pendingKill?.leaderEnded();
      settle(() => {
        if (ended) return reject(ended);
        if (code === 0 || (code !== null && run.answerCodes?.includes(code))) return resolve({ stdout: Buffer.concat(stdout), exitCode: code });
        reject(new GitError('git_failed', gitReason(stderr)));
      });
    });
  });
}

// The dashboard under test, as its own process (the built program), with a fresh data dir; and what
// the benchmark reads of it from /proc.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BENCH_PASSWORD = 'bench-password';
export const BENCH_TOKEN = 'bench-agent-token';
const BUILT_MAIN = fileURLToPath(new URL('../dist/dashboard/main.js', import.meta.url));
const SOURCE_MAIN = fileURLToPath(new URL('../src/dashboard/main.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;
/** Kernel clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_S = 100;

export interface DashboardProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  wsUrl: string;
  dataDir: string;
  /** When it logged that it listens (epoch ms, the clock of nowMs()). */
  listeningAtMs: number;
  /** What the process logged so far, and where. */
  logText(): string;
  logFile: string;
  /** Resolves with the exit code (null when killed by a signal) once the process is gone. */
  exited: Promise<number | null>;
  /** CPU time (user + system) the process has used, in ms. */
  cpuMs(): number;
  rssBytes(): number;
  /** The highest RSS the process has had so far (VmHWM). */
  peakRssBytes(): number;
  stop(): Promise<number | null>;
}

export interface DashboardProcessOptions {
  /** Extra settings (they win over the defaults here). */
  env?: Record<string, string>;
  /** Run the TypeScript sources through tsx instead of the build (slower to start, needs no build). */
  fromSource?: boolean;
  /** Run this built main.js instead of dist/dashboard/main.js. */
  main?: string;
  /** Extra arguments for node itself (such as --cpu-prof). */
  nodeArgs?: string[];
  /** Reuse a data dir (a restart); a fresh temp dir otherwise. */
  dataDir?: string;
}

/** Starts the dashboard program as its own process and waits until it listens. */
export async function startDashboardProcess(options: DashboardProcessOptions = {}): Promise<DashboardProcess> {
  const fromSource = options.fromSource ?? false;
  const builtMain = options.main ?? BUILT_MAIN;
  if (!fromSource && !fs.existsSync(builtMain)) throw new Error(`${builtMain} is missing: run npm run build first`);
  const args = [...(options.nodeArgs ?? []), ...(fromSource ? ['--import', import.meta.resolve('tsx'), SOURCE_MAIN] : [builtMain])];
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nixfleet-bench-'));
  const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nixfleet-log-')), 'dashboard.log');
  const log = fs.openSync(logFile, 'w');
  const extraEnv = options.env ?? {};
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      NIXFLEET_LISTEN: '127.0.0.1:0',
      NIXFLEET_DATA_DIR: dataDir,
      NIXFLEET_PASSWORD: BENCH_PASSWORD,
      NIXFLEET_AGENT_TOKEN: BENCH_TOKEN,
      NIXFLEET_LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', log, log],
  });
  const { url, listeningAtMs } = await new Promise<{ url: string; listeningAtMs: number }>((resolve, reject) => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    const poll = setInterval(() => {
      const line = /^.*"url":"(http:\/\/[^"]+)".*$/m.exec(fs.readFileSync(logFile, 'utf8'));
      if (line?.[1]) {
        clearInterval(poll);
        resolve({ url: line[1], listeningAtMs: (JSON.parse(line[0]) as { time: number }).time });
      } else if (child.exitCode !== null || Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error(`dashboard did not start:\n${fs.readFileSync(logFile, 'utf8')}`));
      }
    }, 50);
  });
  const pid = child.pid ?? 0;
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    child,
    pid,
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/ws`,
    dataDir,
    listeningAtMs,
    logText: () => fs.readFileSync(logFile, 'utf8'),
    logFile,
    exited,
    cpuMs: () => {
      // Fields after the command name (which may hold spaces) start at state; utime and stime are 14 and 15.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
    },
    rssBytes: () => procStatusBytes(pid, 'VmRSS'),
    peakRssBytes: () => procStatusBytes(pid, 'VmHWM'),
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A size field of /proc/<pid>/status, in bytes. */
function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
}

export interface AdminSession {
  cookie: string;
  csrf: string;
}

export async function adminLogin(url: string): Promise<AdminSession> {
  const response = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ password: BENCH_PASSWORD }).toString(),
  });
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('nixfleet_session='))?.split(';')[0];
  if (!cookie) throw new Error(`login failed: ${response.status}`);
  const session = (await (await fetch(`${url}/api/session`, { headers: { cookie } })).json()) as { csrf_token: string };
  return { cookie, csrf: session.csrf_token };
}

export async function dispatch(url: string, session: AdminSession, hostId: string, command: string): Promise<string> {
  const response = await fetch(`${url}/api/hosts/${hostId}/command`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ command }),
  });
  const body = (await response.json()) as { command_id?: string; message?: string };
  if (response.status !== 202 || !body.command_id) throw new Error(`dispatch to ${hostId} failed: ${response.status} ${body.message}`);
  return body.command_id;
}

/** Requests sent at once by dispatchAll. */
const DISPATCH_CONCURRENCY = 32;

/** Sends `command` to every host, a few requests at a time; returns each host's command id. */
export async function dispatchAll(url: string, session: AdminSession, hostIds: readonly string[], command: string): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: DISPATCH_CONCURRENCY }, async () => {
      while (next < hostIds.length) {
        const hostId = hostIds[next++] as string;
        ids.set(hostId, await dispatch(url, session, hostId, command));
      }
    }),
  );
  return ids;
}

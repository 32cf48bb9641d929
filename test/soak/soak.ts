// npm run soak: real agents stream output for minutes while the dashboard is restarted every minute,
// alternately with SIGTERM and SIGKILL; then every command must have ended `succeeded` with every line
// of its program exactly once and in order. Reports what was lost or stuck; exits 1 if anything was.
//   node --import tsx test/soak/soak.ts [--minutes 10] [--agents 200] [--logs DIR]
// With --logs, every agent logs to DIR/<hostname>.log and the dashboard's logs are listed at the end,
// so that a command reported as not succeeded can be traced through both sides.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ProcessFleet } from '../reliability/fleet-process.js';

const LINES_PER_COMMAND = 300;
const DISPATCH_EVERY_MS = 2_000;
const RESTART_EVERY_MS = 60_000;
const DOWN_MS = 2_000;
const MIN_UPTIME_MS = 15_000;
const DRAIN_TIMEOUT_MS = 5 * 60_000;

function textArg(name: string): string | null {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? null) : null;
}

function arg(name: string, fallback: number): number {
  const text = textArg(name);
  return text === null ? fallback : Number(text);
}

interface Verdict {
  commands: number;
  notSucceeded: { id: string; status: string; message: string }[];
  missingLines: number;
  repeatedLines: number;
  seqGaps: number;
}

function verify(dataDir: string, ids: string[]): Verdict {
  const db = new Database(path.join(dataDir, 'nixfleet.sqlite'), { readonly: true });
  const commandOf = db.prepare('SELECT status, message FROM commands WHERE id = ?');
  const linesOf = db.prepare('SELECT seq, line FROM output_lines WHERE command_id = ? ORDER BY seq');
  const verdict: Verdict = { commands: ids.length, notSucceeded: [], missingLines: 0, repeatedLines: 0, seqGaps: 0 };
  for (const id of ids) {
    const command = commandOf.get(id) as { status: string; message: string } | undefined;
    if (!command || command.status !== 'succeeded') verdict.notSucceeded.push({ id, status: command?.status ?? 'missing', message: command?.message ?? '' });
    const lines = linesOf.all(id) as { seq: number; line: string }[];
    lines.forEach((l, i) => {
      if (l.seq !== i) verdict.seqGaps++;
    });
    const seen = new Map<number, number>();
    for (const { line } of lines) {
      const n = /^line (\d+)$/.exec(line)?.[1];
      if (n !== undefined) seen.set(Number(n), (seen.get(Number(n)) ?? 0) + 1);
    }
    for (let n = 1; n <= LINES_PER_COMMAND; n++) {
      const count = seen.get(n) ?? 0;
      if (count === 0) verdict.missingLines++;
      if (count > 1) verdict.repeatedLines += count - 1;
    }
  }
  db.close();
  return verdict;
}

async function main(): Promise<void> {
  const minutes = arg('minutes', 10);
  const agentCount = arg('agents', 200);
  const logDir = textArg('logs');
  const fleet = await ProcessFleet.start();
  if (logDir) {
    fs.mkdirSync(logDir, { recursive: true });
    fleet.agentLogDir = logDir;
  }
  const dashboardLogs = [fleet.dashboard.logFile];
  const ids: string[] = [];
  const current = new Map<string, string>();
  let restarts = 0;
  try {
    console.log(`starting ${agentCount} agents`);
    const hosts = await fleet.startAgents('soak', agentCount, 10 * 60_000);
    fleet.tools.set('nix', { lines: LINES_PER_COMMAND, pauseEvery: 10, pauseS: 0.5 });
    const endAt = Date.now() + minutes * 60_000;
    let nextRestart = Date.now() + RESTART_EVERY_MS;
    console.log(`streaming for ${minutes} min, restarting the dashboard every ${RESTART_EVERY_MS / 1000} s`);
    while (Date.now() < endAt) {
      // Each idle host gets its next command; while the dashboard is down the requests fail and wait.
      const running = await fleet.hosts().catch(() => null);
      if (running) {
        const busy = new Set(running.filter((h) => h.running_command).map((h) => h.id));
        await Promise.all(
          hosts
            .filter((host) => !busy.has(host))
            .map(async (host) => {
              const sent = await fleet.api<{ command_id?: string }>('POST', `/api/hosts/${host}/command`, { command: 'update' }).catch(() => null);
              if (sent?.status === 202 && sent.json.command_id) {
                ids.push(sent.json.command_id);
                current.set(host, sent.json.command_id);
              }
            }),
        );
      }
      if (Date.now() >= nextRestart) {
        const hard = restarts % 2 === 1;
        console.log(`restart ${restarts + 1} (${hard ? 'SIGKILL' : 'SIGTERM'}); ${ids.length} commands so far`);
        if (hard) fleet.dashboard.child.kill('SIGKILL');
        else await fleet.dashboard.stop();
        await fleet.dashboard.exited;
        await new Promise((r) => setTimeout(r, DOWN_MS));
        await fleet.startDashboard();
        dashboardLogs.push(fleet.dashboard.logFile);
        restarts++;
        // Restarts keep to the minute on the clock, however long one took, with some uptime between.
        nextRestart = Math.max(nextRestart + RESTART_EVERY_MS, Date.now() + MIN_UPTIME_MS);
      }
      await new Promise((r) => setTimeout(r, DISPATCH_EVERY_MS));
    }
    console.log(`draining: waiting for ${current.size} last commands`);
    await fleet.until(async () => {
      const hostsNow = await fleet.hosts();
      return hostsNow.every((h) => !h.running_command) ? true : undefined;
    }, 'every command to end', DRAIN_TIMEOUT_MS).catch((err: Error) => console.log(err.message));
    const stuck = (await fleet.hosts()).filter((h) => h.running_command).map((h) => `${h.id}: ${h.running_command?.id}`);
    await fleet.dashboard.stop();
    const verdict = verify(fleet.dataDir, ids);
    const clean = stuck.length === 0 && verdict.notSucceeded.length === 0 && verdict.missingLines + verdict.repeatedLines + verdict.seqGaps === 0;
    console.log(
      JSON.stringify(
        { minutes, agents: agentCount, restarts, lines: verdict.commands * LINES_PER_COMMAND, stuck, ...verdict, notSucceeded: verdict.notSucceeded.slice(0, 20), clean },
        null,
        2,
      ),
    );
    if (logDir) console.log(`data dir: ${fleet.dataDir}\nagent logs: ${logDir}\ndashboard logs, in order:\n${dashboardLogs.join('\n')}`);
    process.exitCode = clean ? 0 : 1;
  } finally {
    await fleet.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});

// The rollout scenario: one rollout over the whole fleet, started over the HTTP API as the web page
// starts it. It ends when every browser has the rollout_update that ended it, and is then checked
// against what the agents themselves saw: every host got each step once, in order, and never more
// hosts were in flight at once than the batch size.
import type { Rollout, RolloutHost } from '../src/protocol/rollout.js';
import type { AdminSession, DashboardProcess } from './dashboard-process.js';
import { Histogram, nowMs } from './histogram.js';
import type { CommandRecord } from './messages.js';
import type { AgentPool, BrowserPool } from './pools.js';

export interface RolloutSettings {
  /** What the rollout runs: a preset, or a list of steps. */
  what: { preset: string } | { steps: string[] };
  batchSize: number;
  /** How each simulated agent runs each step. */
  linesPerCommand: number;
  commandMs: number;
  /** Waiting for the end stops after this long (the scenario then fails). */
  timeoutMs: number;
}

export interface RolloutMeasured {
  hosts: number;
  steps: string[];
  batchSize: number;
  /** The status the browsers saw it end with; "" when none saw it end in time. */
  status: string;
  browsers: number;
  browsersSawEnd: number;
  /** From the POST to the last browser receiving the final rollout_update. */
  wallMs: number;
  /** The wall time if a step took only its command's time: waves × steps × commandMs. */
  idealWallMs: number;
  /** From the POST to its 201 (which waits until the rollout and its first commands are on disk). */
  startReplyMs: number;
  /** Dashboard CPU (user + system) from the POST to the end, in all and per host-step. */
  dashboardCpuMs: number;
  cpuMsPerHostStep: number;
  dashboardCpuPercent: number;
  rssBeforeMB: number;
  /** The dashboard's peak RSS (VmHWM) at the end. */
  peakRssMB: number;
  stepsSucceeded: number;
  /** Hosts whose agent got exactly the record's steps, each once, in order, with the record's command ids. */
  hostsExact: number;
  commandsReceived: number;
  /** From the agents' side: hosts between their first command and their last status, and commands running. */
  maxHostsInFlight: number;
  maxCommandsRunning: number;
  /** A host's status of one step → its next step's command arriving, in ms. */
  stepTurnaround: ReturnType<Histogram['toJSON']>;
  /** rollout_update messages published (the record's revision) and the size of the last one. */
  rolloutUpdates: number;
  rolloutUpdateKB: number;
}

async function startRollout(url: string, session: AdminSession, body: Record<string, unknown>): Promise<Rollout> {
  const response = await fetch(`${url}/api/rollouts`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const reply = (await response.json()) as { rollout?: Rollout; message?: string };
  if (response.status !== 201 || !reply.rollout) throw new Error(`starting the rollout failed: ${response.status} ${reply.message}`);
  return reply.rollout;
}

async function readRollout(url: string, session: AdminSession, id: string): Promise<Rollout> {
  const response = await fetch(`${url}/api/rollouts/${id}`, { headers: { cookie: session.cookie } });
  if (response.status !== 200) throw new Error(`reading rollout ${id} failed: ${response.status}`);
  return ((await response.json()) as { rollout: Rollout }).rollout;
}

/** The most intervals that overlap at any moment; an unfinished one lasts for ever. */
export function maxOverlap(intervals: readonly (readonly [number, number | null])[]): number {
  const edges = intervals.flatMap(([from, to]) => [
    { at: from, change: 1 },
    { at: to ?? Infinity, change: -1 },
  ]);
  // At the same instant an end goes before a start: a host that starts as another ends is no overlap.
  edges.sort((a, b) => a.at - b.at || a.change - b.change);
  let open = 0;
  let most = 0;
  for (const edge of edges) {
    open += edge.change;
    most = Math.max(most, open);
  }
  return most;
}

function ranEachStepOnce(host: RolloutHost, log: readonly CommandRecord[]): boolean {
  return (
    log.length === host.steps.length &&
    host.steps.every((step, i) => {
      const record = log[i];
      return record?.command === step.command && record.command_id === step.command_id && record.repeats === 0 && !record.rejected && record.endedAt !== null;
    })
  );
}

function turnarounds(logs: readonly CommandRecord[][]): Histogram {
  const histogram = new Histogram();
  for (const log of logs) {
    for (let i = 1; i < log.length; i++) {
      const ended = log[i - 1]?.endedAt;
      if (ended != null) histogram.record((log[i] as CommandRecord).receivedAt - ended);
    }
  }
  return histogram;
}

type AgentSide = Pick<RolloutMeasured, 'hostsExact' | 'commandsReceived' | 'maxHostsInFlight' | 'maxCommandsRunning' | 'stepTurnaround'>;

/** The rollout's record judged by what the agents received, and when. */
function judgeByAgents(final: Rollout, logs: Record<string, CommandRecord[]>): AgentSide {
  const hostLogs = final.hosts.map((host) => logs[host.host_id] ?? []);
  const records = Object.values(logs).flat();
  const hostSpans = hostLogs.filter((log) => log.length > 0).map((log) => [(log[0] as CommandRecord).receivedAt, (log.at(-1) as CommandRecord).endedAt] as const);
  return {
    hostsExact: final.hosts.filter((host, i) => ranEachStepOnce(host, hostLogs[i] ?? [])).length,
    commandsReceived: records.length + records.reduce((n, r) => n + r.repeats, 0),
    maxHostsInFlight: maxOverlap(hostSpans),
    maxCommandsRunning: maxOverlap(records.map((r) => [r.receivedAt, r.endedAt] as const)),
    stepTurnaround: turnarounds(hostLogs).toJSON(),
  };
}

export interface RolloutRun {
  measured: RolloutMeasured;
  /** Output lines the agents sent, per command (for the loss and storage checks). */
  sent: Record<string, number>;
}

export async function runRollout(
  parts: { dashboard: DashboardProcess; session: AdminSession; agents: AgentPool; browsers: BrowserPool; browserCount: number },
  hostnames: string[],
  settings: RolloutSettings,
): Promise<RolloutRun> {
  const { dashboard, session, agents, browsers } = parts;
  browsers.restartTiming();
  const rssBefore = dashboard.rssBytes();
  const cpuBefore = dashboard.cpuMs();
  const postedAt = nowMs();
  const started = await startRollout(dashboard.url, session, { hosts: hostnames, ...settings.what, batch_size: settings.batchSize });
  const startReplyMs = nowMs() - postedAt;
  const ended = await browsers.rolloutEnd(started.id, settings.timeoutMs);
  const cpuMs = dashboard.cpuMs() - cpuBefore;
  const cpuWallMs = nowMs() - postedAt;
  const peakRss = dashboard.peakRssBytes();
  const final = await readRollout(dashboard.url, session, started.id);
  const logs = await agents.commandLog();

  const received = Object.values(logs).flat().filter((r) => !r.rejected);
  const mb = (bytes: number) => bytes / 2 ** 20;
  return {
    sent: Object.fromEntries(received.map((r) => [r.command_id, r.lines])),
    measured: {
      hosts: final.hosts.length,
      steps: final.steps,
      batchSize: final.strategy.batch_size,
      status: ended?.status ?? '',
      browsers: parts.browserCount,
      browsersSawEnd: ended?.atMs.length ?? 0,
      wallMs: ended ? Math.max(...ended.atMs) - postedAt : NaN,
      idealWallMs: Math.ceil(final.hosts.length / final.strategy.batch_size) * final.steps.length * settings.commandMs,
      startReplyMs,
      dashboardCpuMs: cpuMs,
      cpuMsPerHostStep: cpuMs / (final.hosts.length * final.steps.length),
      dashboardCpuPercent: (cpuMs / cpuWallMs) * 100,
      rssBeforeMB: mb(rssBefore),
      peakRssMB: mb(peakRss),
      stepsSucceeded: final.hosts.reduce((n, host) => n + host.steps.filter((step) => step.state === 'succeeded').length, 0),
      ...judgeByAgents(final, logs),
      rolloutUpdates: final.revision,
      rolloutUpdateKB: Buffer.byteLength(JSON.stringify(final)) / 1024,
    },
  };
}

/** The rollout's numbers in a few lines, under the scenario's verdicts. */
export function describeRollout(r: RolloutMeasured): string[] {
  const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '—');
  const turn = r.stepTurnaround;
  return [
    `rollout: ${r.hosts} hosts × ${r.steps.join(', ')}, batches of ${r.batchSize}: ${r.status || 'not ended'} after ${(r.wallMs / 1000).toFixed(2)} s` +
      ` (${(r.idealWallMs / 1000).toFixed(1)} s if steps took only their commands' time); 201 after ${ms(r.startReplyMs)} ms`,
    `dashboard: ${(r.dashboardCpuMs / 1000).toFixed(2)} s CPU (${r.dashboardCpuPercent.toFixed(0)} % of a core), ${r.cpuMsPerHostStep.toFixed(2)} ms per host-step;` +
      ` RSS ${r.rssBeforeMB.toFixed(0)} MB before, peak ${r.peakRssMB.toFixed(0)} MB`,
    `agents: at most ${r.maxHostsInFlight} hosts in flight, ${r.maxCommandsRunning} commands running; ` +
      (turn.count > 0 ? `step → next step ${ms(turn.p50)} ms p50, ${ms(turn.p99)} ms p99, ${ms(turn.max)} ms max` : 'one step per host'),
    `rollout record: ${r.rolloutUpdates} changes; ${r.rolloutUpdateKB.toFixed(0)} KB whole, which browsers get once (then only the hosts that changed, at most every 100 ms)`,
  ];
}

// The restart storm: a dashboard with its whole fleet connected is stopped with SIGTERM, as an upgrade
// or a restart does, and started again on the same data dir and port. Every socket drops at once; the
// agents come back with the real agent's backoff (bench/real-agent.ts), each registering, naming the
// command it still runs and sending a heartbeat, while the browsers reconnect as the web page does and
// ask for their snapshot. It is judged from three sides: the agents (when each registered again, which
// upgrades were refused and with what), the browsers (their first init, whether any host was ever shown
// offline, when every host was shown online and connected again) and the record (the commands that ran
// across the restart still run).
import type { Host } from '../src/protocol/model.js';
import { dispatchAll, type AdminSession, type DashboardProcess } from './dashboard-process.js';
import { Histogram, nowMs } from './histogram.js';
import type { BrowserReport, Refusal } from './messages.js';
import type { AgentPool, BrowserPool } from './pools.js';

export interface StormSettings {
  /** After connecting, time for the burst of 10,000 registers to be read by every browser. */
  settleMs: number;
  /** Then normal operation before the restart, measured to tell a disturbed run. */
  steadyMs: number;
  /** The storm is watched for at least this long after the new process listens (heartbeats, CPU). */
  watchMs: number;
  /** Waiting for every agent to register again stops this long after the new process listens. */
  timeoutMs: number;
  /** Hosts running a command across the restart (the first ones). */
  runningHosts: number;
}

export interface StormMeasured {
  agents: number;
  browsers: number;
  /** SIGTERM → the old process is gone; gone → the new one listens. */
  stopMs: number;
  startMs: number;
  /** Agents registered again, and when (from the new process listening): p50, p99, the last one. */
  registered: number;
  registeredMs: ReturnType<Histogram['toJSON']>;
  /** The last browser to show every host online and connected again, from the new process listening; NaN if one never did. */
  allConnectedMs: number;
  /** Hosts shown offline to any browser, at any time (in an init or a host_update), and which. */
  offlineShown: number;
  offlineHosts: string[];
  /** Browsers back, and from each reconnect attempt that succeeded to its init: p50 and the longest. */
  browsersBack: number;
  initMs: ReturnType<Histogram['toJSON']>;
  /** The part of initMs until the upgrade was answered: p50 and the longest. */
  upgradeMs: ReturnType<Histogram['toJSON']>;
  /** Upgrades refused with an HTTP status, by status: tried before the new process listened (the old one stopping), and after. */
  refusedWhileStopping: Record<string, number>;
  refusedByNew: Record<string, number>;
  /** Agents refused at least once, and how many of those registered afterwards. */
  refusedAgents: number;
  refusedAgentsRegistered: number;
  /** How the browsers' connections ended, over the whole scenario ("closed 1001", "refused 503", "no connection"). */
  browserEvents: Record<string, number>;
  connectErrors: Record<string, number>;
  attempts: number;
  registerTimeouts: number;
  /** Commands running across the restart: sent before it, registers since that named one, still running after. */
  commandsRunning: number;
  commandsNamed: number;
  commandsStillRunning: number;
  /** The new process over the watch (from its listening on): how long, its CPU; the RSS of the old one and the peaks (VmHWM). */
  watchedMs: number;
  dashboardCpuMs: number;
  dashboardCpuPercent: number;
  rssOldMB: number;
  peakRssOldMB: number;
  peakRssMB: number;
  /** How busy each browser worker's thread was over the storm (1: saturated; the load generator, not the dashboard, would then be measured). */
  browserWorkersBusy: number[];
  /** The same over the steady operation before the restart, with the heartbeat fan-out p99 then. */
  steadyHeartbeatP99Ms: number;
  steadyBrowserWorkersBusy: number[];
  /** Second by second after the new process listens (in the results file; it shows where the tail is). */
  timeline: { second: number; registered: number; worstHeartbeatMs: number; dashboardCpuPercent: number }[];
}

export interface StormParts {
  dashboard: DashboardProcess;
  session: AdminSession;
  agents: AgentPool;
  browsers: BrowserPool;
  hostnames: string[];
  /** Starts the dashboard program again with these settings, on the same data dir (the caller then owns it). */
  restart(env: Record<string, string>): Promise<DashboardProcess>;
}

const POLL_MS = 500;
const mb = (bytes: number) => bytes / 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function sumCounts(all: readonly Record<string, number>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const one of all) for (const [key, n] of Object.entries(one)) counts[key] = (counts[key] ?? 0) + n;
  return counts;
}

/** Reads VmHWM while the old process stops: what it took during its shutdown counts too. */
async function stopWatchingPeak(dashboard: DashboardProcess): Promise<number> {
  let peak = dashboard.peakRssBytes();
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, dashboard.peakRssBytes());
    } catch {
      // Gone.
    }
  }, 50);
  await dashboard.stop();
  clearInterval(sampler);
  return peak;
}

async function hostsOf(dashboard: DashboardProcess, session: AdminSession): Promise<Host[]> {
  const response = await fetch(`${dashboard.url}/api/hosts`, { headers: { cookie: session.cookie } });
  return ((await response.json()) as { hosts: Host[] }).hosts;
}

async function startCommands(dashboard: DashboardProcess, session: AdminSession, agents: AgentPool, hostnames: string[]): Promise<Map<string, string>> {
  const ids = await dispatchAll(dashboard.url, session, hostnames, 'switch');
  await agents.waitForCommands(hostnames.length);
  return ids;
}

function judgeBrowsers(reports: BrowserReport[], listenAt: number): Pick<StormMeasured, 'allConnectedMs' | 'offlineShown' | 'offlineHosts' | 'browsersBack' | 'initMs' | 'upgradeMs' | 'browserEvents'> {
  const initMs = new Histogram();
  const upgradeMs = new Histogram();
  for (const report of reports) for (const ms of report.reconnectInitMs) initMs.record(ms);
  for (const report of reports) for (const ms of report.reconnectUpgradeMs) upgradeMs.record(ms);
  const presence = reports.map((r) => r.presence);
  return {
    allConnectedMs: Math.max(...presence.map((p) => (p ? p.allConnectedAtMs - listenAt : NaN))),
    offlineShown: presence.reduce((n, p) => n + (p?.offlineShown ?? 0), 0),
    offlineHosts: [...new Set(presence.flatMap((p) => p?.offlineHosts ?? []))],
    browsersBack: reports.filter((r) => r.reconnectInitMs.length > 0).length,
    initMs: initMs.toJSON(),
    upgradeMs: upgradeMs.toJSON(),
    browserEvents: sumCounts(reports.map((r) => r.connectionEvents)),
  };
}

function judgeAgents(refusals: Refusal[], registeredAtMs: Record<string, number>, listenAt: number) {
  const refused = new Map<string, number>();
  for (const r of refusals) refused.set(r.hostname, Math.max(refused.get(r.hostname) ?? 0, r.atMs));
  const registeredMs = new Histogram();
  for (const at of Object.values(registeredAtMs)) if (Number.isFinite(at)) registeredMs.record(Math.max(0, at - listenAt));
  return {
    registered: registeredMs.count,
    registeredMs: registeredMs.toJSON(),
    refusedWhileStopping: countBy(
      refusals.filter((r) => r.atMs < listenAt),
      (r) => String(r.status),
    ),
    refusedByNew: countBy(
      refusals.filter((r) => r.atMs >= listenAt),
      (r) => String(r.status),
    ),
    refusedAgents: refused.size,
    refusedAgentsRegistered: [...refused].filter(([hostname, lastRefusal]) => (registeredAtMs[hostname] ?? NaN) > lastRefusal).length,
  };
}

export async function runRestartStorm(parts: StormParts, settings: StormSettings): Promise<{ measured: StormMeasured }> {
  const { session, agents, browsers, hostnames } = parts;
  const old = parts.dashboard;
  const commandIds = await startCommands(old, session, agents, hostnames.slice(0, settings.runningHosts));
  // Before the restart the fleet must be running smoothly, or the storm would start from a backlog.
  await sleep(settings.settleMs);
  browsers.restartTiming();
  await sleep(settings.steadyMs);
  const steady = await browsers.reportWithTimeline();
  const steadyHeartbeat = new Histogram();
  for (const report of steady.browsers) steadyHeartbeat.merge(report.heartbeat);

  const rssOld = old.rssBytes();
  const stoppedAt = nowMs();
  const peakRssOld = await stopWatchingPeak(old);
  const goneAt = nowMs();
  // Heartbeat latencies from here on are the new process's.
  browsers.restartTiming();
  const dashboard = await parts.restart({ NIXFLEET_LISTEN: new URL(old.url).host });
  const listenAt = dashboard.listeningAtMs;
  const cpuBefore = dashboard.cpuMs();

  // The dashboard's CPU, second by second, while the storm is watched.
  const cpuBySecond: number[] = [];
  let lastCpu = cpuBefore;
  const cpuSampler = setInterval(() => {
    const cpu = dashboard.cpuMs();
    cpuBySecond.push(cpu - lastCpu);
    lastCpu = cpu;
  }, 1_000);
  const deadline = listenAt + settings.timeoutMs;
  for (;;) {
    const storm = await agents.storm(stoppedAt);
    if (Object.values(storm.registeredAtMs).every(Number.isFinite) || nowMs() > deadline) break;
    await sleep(POLL_MS);
  }
  await sleep(Math.max(0, listenAt + settings.watchMs - nowMs()));
  clearInterval(cpuSampler);
  const cpuMs = dashboard.cpuMs() - cpuBefore;
  const watchedMs = nowMs() - listenAt;
  const storm = await agents.storm(stoppedAt);
  const { browsers: reports, worstHeartbeatBySecond, workersBusy } = await browsers.reportWithTimeline();
  const hosts = await hostsOf(dashboard, session);
  const stillRunning = hosts.filter((host) => host.running_command?.status === 'running' && commandIds.get(host.id) === host.running_command.id);

  return {
    measured: {
      agents: hostnames.length,
      browsers: reports.length,
      stopMs: goneAt - stoppedAt,
      startMs: listenAt - goneAt,
      ...judgeAgents(storm.refusals, storm.registeredAtMs, listenAt),
      ...judgeBrowsers(reports, listenAt),
      connectErrors: storm.connectErrors,
      attempts: storm.attempts,
      registerTimeouts: storm.registerTimeouts,
      commandsRunning: commandIds.size,
      commandsNamed: storm.namedRunning,
      commandsStillRunning: stillRunning.length,
      watchedMs,
      dashboardCpuMs: cpuMs,
      dashboardCpuPercent: (cpuMs / watchedMs) * 100,
      rssOldMB: mb(rssOld),
      peakRssOldMB: mb(peakRssOld),
      peakRssMB: mb(dashboard.peakRssBytes()),
      browserWorkersBusy: workersBusy,
      steadyHeartbeatP99Ms: steadyHeartbeat.percentile(0.99),
      steadyBrowserWorkersBusy: steady.workersBusy,
      timeline: timeline(storm.registeredAtMs, worstHeartbeatBySecond, cpuBySecond, goneAt, listenAt),
    },
  };
}

/** Second by second from the new process listening: agents registered, the worst heartbeat latency browsers saw, the dashboard's CPU. */
function timeline(registeredAtMs: Record<string, number>, worstHeartbeatBySecond: number[], cpuBySecond: number[], timingSince: number, listenAt: number): StormMeasured['timeline'] {
  const registered: number[] = [];
  for (const at of Object.values(registeredAtMs)) {
    if (!Number.isFinite(at)) continue;
    const second = Math.max(0, Math.floor((at - listenAt) / 1000));
    registered[second] = (registered[second] ?? 0) + 1;
  }
  // Heartbeat seconds count from the restart-timing (when the old process was gone); shift them to the listening.
  const shift = Math.round((listenAt - timingSince) / 1000);
  const heartbeat = worstHeartbeatBySecond.slice(shift);
  return Array.from({ length: Math.max(registered.length, heartbeat.length) }, (_, s) => ({
    second: s,
    registered: registered[s] ?? 0,
    worstHeartbeatMs: Math.round(heartbeat[s] ?? 0),
    dashboardCpuPercent: Math.round((cpuBySecond[s] ?? 0) / 10),
  }));
}

/** Before the restart the fleet idles as in scenario c, whose heartbeat target is this. */
const STEADY_HEARTBEAT_P99_MS = 200;
/** A browser worker busier than this was itself the bottleneck. */
const WORKER_SATURATED = 0.9;

/** Why the run measured the machine rather than the dashboard, or null when it looks sound. */
export function stormDisturbed(m: StormMeasured): string | null {
  const why = [];
  if (m.steadyHeartbeatP99Ms > STEADY_HEARTBEAT_P99_MS) why.push(`heartbeat p99 ${m.steadyHeartbeatP99Ms.toFixed(0)} ms before the restart`);
  if (m.steadyBrowserWorkersBusy.some((busy) => busy > WORKER_SATURATED)) why.push('a browser worker saturated before the restart');
  return why.length > 0 ? `DISTURBED (other work on the machine?): ${why.join('; ')}; run it again` : null;
}

/** The storm's numbers in a few lines, under the scenario's verdicts. */
export function describeStorm(m: StormMeasured): string[] {
  const disturbed = stormDisturbed(m);
  const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(0)} ms` : '—');
  const percents = (fractions: number[]) => fractions.map((f) => `${(f * 100).toFixed(0)} %`).join(', ');
  const counts = (c: Record<string, number>) => Object.entries(c).map(([k, n]) => `${n} × ${k}`).join(', ') || 'none';
  return [
    `restart: SIGTERM → gone ${ms(m.stopMs)}, gone → listening ${ms(m.startMs)}; ${m.attempts} agent connection attempts since SIGTERM`,
    `agents registered again: ${m.registered}/${m.agents}, p50 ${ms(m.registeredMs.p50)}, p99 ${ms(m.registeredMs.p99)}, last ${ms(m.registeredMs.max)} after listening;` +
      ` ${m.registerTimeouts} register timeouts`,
    `refused upgrades: while stopping ${counts(m.refusedWhileStopping)}; by the new process ${counts(m.refusedByNew)};` +
      ` ${m.refusedAgentsRegistered}/${m.refusedAgents} refused agents registered afterwards; no connection: ${counts(m.connectErrors)}`,
    `browsers back ${m.browsersBack}/${m.browsers}, init p50 ${ms(m.initMs.p50)}, longest ${ms(m.initMs.max)} after their reconnect (upgrade answered: p50 ${ms(m.upgradeMs.p50)}, longest ${ms(m.upgradeMs.max)}); connections: ${counts(m.browserEvents)};` +
      ` every host shown online and connected ${ms(m.allConnectedMs)} after listening`,
    `commands across the restart: ${m.commandsRunning} running, ${m.commandsNamed} registers named one, ${m.commandsStillRunning} still running`,
    `before the restart: heartbeat fan-out p99 ${ms(m.steadyHeartbeatP99Ms)}; browser worker threads busy ${percents(m.steadyBrowserWorkersBusy)} (during the storm ${percents(m.browserWorkersBusy)})`,
    `dashboard: RSS ${m.rssOldMB.toFixed(0)} MB before, peak ${m.peakRssOldMB.toFixed(0)} MB (old process), ${m.peakRssMB.toFixed(0)} MB (new);` +
      ` ${(m.dashboardCpuMs / 1000).toFixed(2)} s CPU over the watch (${m.dashboardCpuPercent.toFixed(0)} % of a core)`,
    ...(disturbed ? [disturbed] : []),
  ];
}

// npm run bench: runs each scenario against a fresh dashboard process and prints a table with
// a verdict per target; writes the results as JSON.
//   node --import tsx bench/run.ts [--smoke] [--only a,b] [--out file.json] [--from-source] [--profile]
// --smoke runs three small scenarios (streaming, a rollout, a restart storm) that only prove the benchmark works.
// Environment: BENCH_NODE_ARGS (extra node flags for the dashboard, e.g. --trace-gc), BENCH_KEEP_LOG
// (a file to copy the dashboard's log to when a scenario ends), and to measure a change before making it,
// BENCH_DASHBOARD_MAIN (another build's dashboard/main.js, such as a patched copy) and BENCH_DASHBOARD_ENV
// (settings for the dashboard, "NAME=value NAME=value").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Histogram } from './histogram.js';
import { adminLogin, BENCH_TOKEN, dispatchAll, startDashboardProcess, type DashboardProcess } from './dashboard-process.js';
import { AgentPool, BrowserPool } from './pools.js';
import { SCENARIOS, SMOKE, SMOKE_ROLLOUT, SMOKE_STORM, TARGETS, type Measured, type Scenario, type Verdict } from './scenarios.js';
import type { BrowserReport } from './messages.js';
import { runRollout, type RolloutMeasured } from './rollout.js';
import { runRestartStorm, type StormMeasured } from './restart-storm.js';
import { referenceWorkloadMs } from './machine-speed.js';
import { fmt, printTable } from './print-table.js';
import { CLUSTER_SETTINGS, clusterServersProblem, clusterVerdicts, describeCluster, runCluster, type ClusterMeasured } from './cluster.js';

/** Time after the agents stop for lines in flight to arrive. */
const SETTLE_MS = 2_000;

export interface ScenarioResult extends Measured {
  key: string;
  name: string;
  durationS: number;
  linesSent: number;
  deliveries: number;
  deliveriesPerSecond: number;
  output: ReturnType<Histogram['toJSON']>;
  heartbeat: ReturnType<Histogram['toJSON']>;
  rssPerBrowserKB: number;
  connectRatePerS: number;
  /** CPU the load generator itself used (agents and browsers), in % of one core: it shares the machine. */
  benchCpuPercent: number;
  /** From the dashboard's own metrics: how long messages waited inside it, and its event-loop delay. */
  fanoutDelayP99Ms: number;
  eventLoopLagP99Ms: number;
  /**
   * How busy each browser worker's thread was over the scenario (0 to 1). Near 1 the simulated
   * browsers read their sockets late, and the latencies hold their own wait as well as the dashboard's.
   */
  browserThreadsBusy: number[];
  verdicts: Verdict[];
  pass: boolean;
  /** The machine's 1-minute load average when the scenario ended: other work on it shows here. */
  loadAverage: number;
  /** The machine's speed just before the scenario: bench/machine-speed.ts's workload, in ms (lower is faster). */
  referenceMs: number;
}

/** The 99th percentile of a Prometheus histogram, read from its cumulative buckets (upper bound). */
function histogramP99(text: string, name: string): number {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))].map((m) => ({ le: Number(m[1]), count: Number(m[2]) }));
  const total = buckets.at(-1)?.count ?? 0;
  return (buckets.find((b) => b.count >= total * 0.99)?.le ?? NaN) * 1000;
}

async function dashboardInternals(url: string, cookie: string): Promise<{ fanoutDelayP99Ms: number; eventLoopLagP99Ms: number }> {
  const text = await (await fetch(`${url}/metrics`, { headers: { cookie } })).text();
  const lag = Number(/^nixfleet_nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(text)?.[1] ?? NaN);
  return { fanoutDelayP99Ms: histogramP99(text, 'nixfleet_fanout_delay_seconds'), eventLoopLagP99Ms: lag * 1000 };
}

/** Lines stored per command, read from the database after the dashboard stopped. */
function storedLines(dataDir: string): Map<string, number> {
  const db = new Database(path.join(dataDir, 'nixfleet.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('SELECT command_id AS id, count(*) AS n FROM output_lines GROUP BY command_id').all() as { id: string; n: number }[];
    return new Map(rows.map((r) => [r.id, r.n]));
  } finally {
    db.close();
  }
}

function merge(reports: BrowserReport[], pick: (r: BrowserReport) => BrowserReport['output']): Histogram {
  const histogram = new Histogram();
  for (const report of reports) histogram.merge(pick(report));
  return histogram;
}

function closeCodesOf(reports: BrowserReport[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const report of reports) for (const [code, n] of Object.entries(report.closeCodes)) counts[code] = (counts[code] ?? 0) + n;
  return counts;
}

/** With --profile, the dashboard writes a V8 CPU profile here when it stops. */
const PROFILE_DIR = path.join('bench', 'results', 'profiles');

async function runScenario(scenario: Scenario, fromSource: boolean, profile: boolean, earlier: ReadonlyMap<string, Measured>): Promise<Omit<ScenarioResult, 'referenceMs'>> {
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIR, `${scenario.key}-${Date.now()}`)}`] : [];
  if (process.env.BENCH_NODE_ARGS) nodeArgs.push(...process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean));
  const main = process.env.BENCH_DASHBOARD_MAIN;
  const settings = (process.env.BENCH_DASHBOARD_ENV ?? '').split(' ').filter(Boolean).map((pair) => pair.split('=', 2) as [string, string]);
  const env = { ...scenario.env, ...Object.fromEntries(settings) };
  let dashboard = await startDashboardProcess({ env, fromSource, nodeArgs, main });
  const agents = new AgentPool(scenario.agentWorkers);
  const browsers = new BrowserPool(scenario.browserWorkers);
  try {
    const rssBase = dashboard.rssBytes();
    const session = await adminLogin(dashboard.url);
    const reconnect = scenario.storm !== null;
    const stalledIndex = scenario.stallMs > 0 ? 0 : -1;
    await browsers.connect({ wsUrl: dashboard.wsUrl, cookie: session.cookie, count: scenario.browsers, stalledIndex, stallMs: scenario.stallMs, reconnect });
    const rssBrowsers = dashboard.rssBytes();
    const hostnames = Array.from({ length: scenario.agents }, (_, i) => `bench-${String(i).padStart(5, '0')}`);
    const commandRun = scenario.rollout && { linesPerCommand: scenario.rollout.linesPerCommand, commandMs: scenario.rollout.commandMs, lineBytes: scenario.lineBytes };
    const { mode, heartbeatIntervalS } = scenario;
    const connected = await agents.connect({ wsUrl: dashboard.wsUrl, token: BENCH_TOKEN, hostnames, mode, heartbeatIntervalS, commandRun, reconnect });
    if (connected.failed > 0) throw new Error(`${connected.failed} agents failed to connect`);
    // Let heap growth from connecting settle before reading the RSS.
    await new Promise((r) => setTimeout(r, 1_000));
    const rssAgents = dashboard.rssBytes();

    let sent: Record<string, number> = {};
    let outputFrames = 0;
    let rollout: RolloutMeasured | null = null;
    let storm: StormMeasured | null = null;
    const cpuBefore = dashboard.cpuMs();
    const benchCpuBefore = process.cpuUsage();
    const started = Date.now();
    browsers.mark();
    if (scenario.rollout) {
      const run = await runRollout({ dashboard, session, agents, browsers, browserCount: scenario.browsers }, hostnames, scenario.rollout);
      rollout = run.measured;
      sent = run.sent;
    } else if (scenario.storm) {
      const { dataDir } = dashboard;
      const restart = async (again: Record<string, string>) => {
        dashboard = await startDashboardProcess({ env: { ...env, ...again }, fromSource, nodeArgs, dataDir, main });
        return dashboard;
      };
      const run = await runRestartStorm({ dashboard, session, agents, browsers, hostnames, restart }, scenario.storm);
      storm = run.measured;
    } else if (scenario.idle) {
      await new Promise((r) => setTimeout(r, scenario.durationMs));
    } else {
      await dispatchAll(dashboard.url, session, hostnames, 'switch');
      await agents.waitForCommands(scenario.agents);
      ({ sent, frames: outputFrames } = await agents.stream({
        durationMs: scenario.durationMs,
        linesPerSecond: scenario.linesPerSecond,
        lineBytes: scenario.lineBytes,
        maxLinesPerFrame: scenario.maxLinesPerFrame,
      }));
      await new Promise((r) => setTimeout(r, SETTLE_MS));
    }
    const elapsedMs = Date.now() - started;
    // The storm's dashboard is the new process: its CPU is counted from its start of listening.
    const wallMs = storm ? storm.watchedMs : elapsedMs;
    const cpuMs = storm ? storm.dashboardCpuMs : dashboard.cpuMs() - cpuBefore;
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const benchCpuPercent = ((benchCpu.user + benchCpu.system) / 1000 / elapsedMs) * 100;
    const internal = await dashboardInternals(dashboard.url, session.cookie);
    const { browsers: reports, threadsBusy: browserThreadsBusy } = await browsers.report();
    await agents.stop();
    await browsers.stop();
    await dashboard.stop();

    const stalled = scenario.stallMs > 0 ? reports[0] : undefined;
    const readers = reports.filter((r) => r !== stalled);
    const linesSent = Object.values(sent).reduce((a, b) => a + b, 0);
    let linesLost = 0;
    for (const reader of readers) {
      for (const [commandId, count] of Object.entries(sent)) linesLost += Math.max(0, count - (reader.perCommand[commandId]?.lines ?? 0));
    }
    const stored = storedLines(dashboard.dataDir);
    const allStored = Object.entries(sent).every(([id, count]) => (stored.get(id) ?? 0) === count);
    const output = merge(readers, (r) => r.output);
    const heartbeat = merge(readers, (r) => r.heartbeat);
    const deliveries = reports.reduce((n, r) => n + r.linesReceived, 0);
    const measured: Measured = {
      outputP99Ms: output.percentile(0.99),
      linesLost,
      linesReordered: reports.reduce((n, r) => n + r.outOfOrder, 0),
      cpuUsPerDelivery: deliveries > 0 ? (cpuMs * 1000) / deliveries : NaN,
      linesPerFrame: outputFrames > 0 ? linesSent / outputFrames : NaN,
      allStored,
      rssPerAgentKB: (rssAgents - rssBrowsers) / 1024 / Math.max(1, scenario.agents),
      heartbeatP99Ms: heartbeat.percentile(0.99),
      dashboardCpuPercent: (cpuMs / wallMs) * 100,
      stalledCloseCode: stalled ? Number(Object.keys(stalled.closeCodes)[0] ?? NaN) : null,
      versionGaps: readers.reduce((n, r) => n + r.versionGaps, 0),
      maxSilenceMs: Math.max(...readers.map((r) => r.maxSilenceMs)),
      readersClosed: closeCodesOf(readers),
      rollout,
      storm,
    };
    const activeS = (rollout ? rollout.wallMs : storm ? wallMs : scenario.durationMs) / 1000;
    const verdicts = (TARGETS[scenario.key] ?? []).map((check) => check(measured, earlier));
    if (process.env.BENCH_KEEP_LOG) fs.copyFileSync(dashboard.logFile, process.env.BENCH_KEEP_LOG);
    fs.rmSync(dashboard.dataDir, { recursive: true, force: true });
    return {
      key: scenario.key,
      name: scenario.name,
      durationS: activeS,
      linesSent,
      deliveries,
      deliveriesPerSecond: deliveries / activeS,
      output: output.toJSON(),
      heartbeat: heartbeat.toJSON(),
      rssPerBrowserKB: (rssBrowsers - rssBase) / 1024 / Math.max(1, scenario.browsers),
      connectRatePerS: scenario.agents / (connected.elapsedMs / 1000),
      benchCpuPercent,
      browserThreadsBusy,
      ...internal,
      ...measured,
      verdicts,
      pass: verdicts.every((v) => v.pass),
      loadAverage: os.loadavg()[0] ?? NaN,
    };
  } catch (err) {
    await agents.stop().catch(() => undefined);
    await browsers.stop().catch(() => undefined);
    await dashboard.stop();
    throw err;
  }
}

const CLUSTER_NAME = `heavy output across 2 instances: ${CLUSTER_SETTINGS.agents} agents on the follower × ${CLUSTER_SETTINGS.linesPerSecond} lines/s, ${CLUSTER_SETTINGS.browsers} browsers split, ${CLUSTER_SETTINGS.durationMs / 1000} s; against 1 instance on PostgreSQL`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : null;
  const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : path.join('bench', 'results', 'latest.json');
  const scenarios = (args.includes('--smoke') ? [SMOKE, SMOKE_ROLLOUT, SMOKE_STORM] : SCENARIOS).filter((s) => !only || only.includes(s.key));
  const results: ScenarioResult[] = [];
  const measured = new Map<string, Measured>();
  const began = Date.now();
  for (const scenario of scenarios) {
    const referenceMs = referenceWorkloadMs();
    console.error(`running ${scenario.key}: ${scenario.name} (machine reference ${referenceMs.toFixed(0)} ms)`);
    const result = { ...(await runScenario(scenario, args.includes('--from-source'), args.includes('--profile'), measured)), referenceMs };
    results.push(result);
    measured.set(result.key, result);
  }
  // The cluster scenario (issue 15) needs PostgreSQL and Redis: without them it is skipped, saying so.
  let cluster: { measured: ClusterMeasured; verdicts: ReturnType<typeof clusterVerdicts> } | null = null;
  let clusterSkipped: string | null = null;
  if (!args.includes('--smoke') && (!only || only.includes('cluster'))) {
    clusterSkipped = await clusterServersProblem();
    if (clusterSkipped === null) {
      console.error(`running cluster: ${CLUSTER_NAME}`);
      const clusterMeasured = await runCluster();
      cluster = { measured: clusterMeasured, verdicts: clusterVerdicts(clusterMeasured) };
    }
  }
  console.error(`all scenarios ran in ${((Date.now() - began) / 60_000).toFixed(1)} min`);
  printTable(results);
  if (cluster) {
    console.log(`\ncluster. ${CLUSTER_NAME} (load average ${fmt(os.loadavg()[0] ?? NaN, 1)} at its end)`);
    for (const v of cluster.verdicts) console.log(`   ${v.pass ? 'ok  ' : 'FAIL'} ${v.target}: ${v.actual}`);
    for (const text of describeCluster(cluster.measured)) console.log(`   ${text}`);
  } else if (clusterSkipped) console.log(`\ncluster: skipped (${clusterSkipped}); start PostgreSQL and Redis to run it`);
  if (out) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
    fs.writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), machine, results, cluster }, null, 2));
  }
  const clusterPass = cluster === null || cluster.verdicts.every((v) => v.pass);
  process.exit(results.every((r) => r.pass) && clusterPass ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});

// The table npm run bench prints, and under it each scenario's verdicts and what it measured besides.
import os from 'node:os';
import { describeRollout } from './rollout.js';
import { describeStorm } from './restart-storm.js';
import type { ScenarioResult } from './run.js';
import { cpuPerDeliveredFrame } from './scenarios.js';

/** A browser worker's thread busier than this reads its sockets late (see browserThreadsBusy). */
const BROWSER_THREAD_SATURATED = 0.8;

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

export function printTable(results: ScenarioResult[]): void {
  const rows = results.map((r) => [
    r.key,
    fmt(r.output.p50, 2),
    fmt(r.output.p90, 2),
    fmt(r.output.p99, 2),
    fmt(r.output.max, 1),
    String(r.linesLost),
    String(r.linesReordered),
    fmt(r.deliveriesPerSecond, 0),
    fmt(r.cpuUsPerDelivery, 2),
    fmt(r.rssPerAgentKB, 1),
    fmt(r.rssPerBrowserKB, 1),
    fmt(r.heartbeat.p99, 1),
    fmt(r.connectRatePerS, 0),
    fmt(r.dashboardCpuPercent, 0),
    fmt(r.benchCpuPercent, 0),
    fmt(r.fanoutDelayP99Ms, 1),
    fmt(r.eventLoopLagP99Ms, 1),
    r.allStored ? 'yes' : 'no',
    r.pass ? 'PASS' : 'FAIL',
  ]);
  const header = ['', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'lost', 'reord', 'deliv/s', 'CPU µs/line', 'RSS/agent KB', 'RSS/browser KB', 'hb p99 ms', 'conn/s', 'dash CPU %', 'load CPU %', 'in-dash p99 ms', 'loop lag p99 ms', 'stored', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  for (const r of results) {
    console.log(`\n${r.key}. ${r.name} (load average ${fmt(r.loadAverage, 1)} at its end, on ${os.cpus().length} cores; machine reference ${fmt(r.referenceMs, 0)} ms before it)`);
    for (const v of r.verdicts) console.log(`   ${v.pass ? 'ok  ' : 'FAIL'} ${v.target}: ${v.actual}`);
    if (r.rollout) for (const text of describeRollout(r.rollout)) console.log(`   ${text}`);
    if (r.storm) for (const text of describeStorm(r.storm)) console.log(`   ${text}`);
    if (Number.isFinite(r.linesPerFrame)) {
      console.log(`   agents' output: ${fmt(r.linesPerFrame, 2)} lines per frame; dashboard CPU ${fmt(cpuPerDeliveredFrame(r), 2)} µs per delivered frame (a frame's lines to one browser)`);
    }
    const busy = r.browserThreadsBusy.map((b) => `${Math.round(b * 100)} %`).join(', ');
    const saturated = r.browserThreadsBusy.some((b) => b > BROWSER_THREAD_SATURATED);
    console.log(`   load generator: browser threads busy ${busy}${saturated ? ': near saturation, so the latencies include the simulated browsers\' own wait' : ''}`);
  }
}

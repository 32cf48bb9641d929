// The benchmark's scenarios and the targets each must meet (issue 5).
import type { OutputMode } from './messages.js';

export interface Scenario {
  key: string;
  name: string;
  agents: number;
  browsers: number;
  linesPerSecond: number;
  durationMs: number;
  mode: OutputMode;
  heartbeatIntervalS: number;
  lineBytes: number;
  maxLinesPerFrame: number;
  /** Agents only heartbeat; no command, no output. */
  idle: boolean;
  /** Browser 0 stops reading for this long. */
  stallMs: number;
  agentWorkers: number;
  browserWorkers: number;
  /** Extra dashboard settings. */
  env: Record<string, string>;
}

export interface Measured {
  outputP99Ms: number;
  linesLost: number;
  linesReordered: number;
  cpuUsPerDelivery: number;
  allStored: boolean;
  rssPerAgentKB: number;
  heartbeatP99Ms: number;
  dashboardCpuPercent: number;
  stalledCloseCode: number | null;
}

export interface Verdict {
  target: string;
  actual: string;
  pass: boolean;
}

type Check = (m: Measured) => Verdict;

const atMost = (label: string, pick: (m: Measured) => number, limit: number, unit: string): Check => (m) => {
  const value = pick(m);
  return { target: `${label} ≤ ${limit}${unit}`, actual: `${Number.isFinite(value) ? value.toFixed(2) : value}${unit}`, pass: value <= limit };
};

const p99 = (limit: number) => atMost('output p99', (m) => m.outputP99Ms, limit, ' ms');
const noLoss: Check = (m) => ({ target: '0 lost', actual: String(m.linesLost), pass: m.linesLost === 0 });
const noReorder: Check = (m) => ({ target: '0 reordered', actual: String(m.linesReordered), pass: m.linesReordered === 0 });
const stored: Check = (m) => ({ target: 'every line stored', actual: m.allStored ? 'yes' : 'no', pass: m.allStored });

export const TARGETS: Record<string, Check[]> = {
  a: [p99(10)],
  b: [noLoss, noReorder, p99(50), atMost('CPU per delivered line', (m) => m.cpuUsPerDelivery, 2, ' µs'), stored],
  c: [
    atMost('RSS per idle agent', (m) => m.rssPerAgentKB, 25, ' KB'),
    atMost('heartbeat fan-out p99', (m) => m.heartbeatP99Ms, 200, ' ms'),
    atMost('dashboard CPU', (m) => m.dashboardCpuPercent, 25, ' % of a core'),
  ],
  d: [
    p99(50),
    (m) => ({ target: 'stalled browser cut with 4008', actual: String(m.stalledCloseCode), pass: m.stalledCloseCode === 4008 }),
    noLoss,
    stored,
  ],
  e: [noLoss, p99(100)],
  smoke: [noLoss, noReorder, stored],
};

const base = {
  heartbeatIntervalS: 5,
  lineBytes: 100,
  maxLinesPerFrame: 64,
  idle: false,
  stallMs: 0,
  agentWorkers: 2,
  browserWorkers: 2,
  env: {},
  mode: 'v1' as OutputMode,
};

export const SCENARIOS: Scenario[] = [
  { ...base, key: 'a', name: 'light: 100 agents × 50 lines/s × 10 browsers', agents: 100, browsers: 10, linesPerSecond: 50, durationMs: 60_000 },
  { ...base, key: 'b', name: 'heavy: 300 agents × 50 lines/s × 20 browsers', agents: 300, browsers: 20, linesPerSecond: 50, durationMs: 45_000 },
  {
    ...base,
    key: 'c',
    name: 'scale: 10,000 idle agents heartbeating every 5 s, 20 browsers',
    agents: 10_000,
    browsers: 20,
    linesPerSecond: 0,
    durationMs: 30_000,
    idle: true,
    agentWorkers: 4,
  },
  {
    ...base,
    key: 'd',
    name: 'one noisy host: 20,000 lines/s to 20 browsers, one stops reading',
    agents: 1,
    browsers: 20,
    linesPerSecond: 20_000,
    durationMs: 30_000,
    stallMs: 15_000,
    agentWorkers: 1,
  },
  { ...base, key: 'e', name: 'v0: 300 agents × 50 one-line frames/s × 20 browsers', agents: 300, browsers: 20, linesPerSecond: 50, durationMs: 45_000, mode: 'v0' },
];

/** A short run that proves the benchmark works end to end (npm test). */
export const SMOKE: Scenario = {
  ...base,
  key: 'smoke',
  name: 'smoke: 20 agents × 50 lines/s × 3 browsers, 5 s',
  agents: 20,
  browsers: 3,
  linesPerSecond: 50,
  durationMs: 5_000,
  agentWorkers: 1,
  browserWorkers: 1,
};

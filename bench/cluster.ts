// The cluster scenario (issue 15): the heavy output scenario across two instances of a cluster on
// PostgreSQL and Redis. The agents are on the follower, so that every frame crosses the bus to the
// leader and every flush of the fan-out crosses back; half the browsers read from the leader, half
// from the follower. The same load on one instance storing into the same PostgreSQL is the baseline:
// the difference is what the bus adds. Run with `npm run bench -- --only cluster` (needs the servers).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { AgentPool, BrowserPool } from './pools.js';
import { Histogram } from './histogram.js';
import { adminLogin, BENCH_TOKEN, dispatchAll, startDashboardProcess, type DashboardProcess } from './dashboard-process.js';
import type { BrowserReport } from './messages.js';

export const CLUSTER_DATABASE_URL = process.env.NIXFLEET_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const CLUSTER_REDIS_URL = process.env.NIXFLEET_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ClusterSettings {
  agents: number;
  browsers: number;
  linesPerSecond: number;
  durationMs: number;
}

export const CLUSTER_SETTINGS: ClusterSettings = { agents: 300, browsers: 20, linesPerSecond: 50, durationMs: 30_000 };

export interface ClusterSide {
  /** Output latency p99 of the browsers on this side, ms. */
  p99Ms: number;
  lost: number;
  reordered: number;
}

export interface ClusterMeasured {
  single: ClusterSide & { cpuUsPerLine: number };
  onLeader: ClusterSide;
  onFollower: ClusterSide;
  /** Dashboard CPU per delivered line, on each instance. */
  leaderCpuUsPerLine: number;
  followerCpuUsPerLine: number;
  allStored: boolean;
}

/** A schema of its own in the benchmark's database; the URL that uses it, and how to drop it. */
async function benchSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `nixfleet_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: CLUSTER_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(CLUSTER_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: CLUSTER_DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

async function storedLines(url: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; n: string }>('SELECT command_id AS id, sum(line_count) AS n FROM output_chunks GROUP BY command_id');
    return new Map(rows.map((r) => [r.id, Number(r.n)]));
  } finally {
    await client.end();
  }
}

async function waitForRole(dashboard: DashboardProcess, role: 'leader' | 'follower'): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const health = (await (await fetch(`${dashboard.url}/health`)).json()) as { role?: string; status?: string };
    if (health.role === role && health.status === 'ok') return;
    if (Date.now() > deadline) throw new Error(`${dashboard.url} is not a healthy ${role}: ${JSON.stringify(health)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function side(reports: BrowserReport[], sent: Record<string, number>): ClusterSide {
  const output = new Histogram();
  let lost = 0;
  for (const report of reports) {
    output.merge(report.output);
    for (const [id, count] of Object.entries(sent)) lost += Math.max(0, count - (report.perCommand[id]?.lines ?? 0));
  }
  return { p99Ms: output.percentile(0.99), lost, reordered: reports.reduce((n, r) => n + r.outOfOrder, 0) };
}

const SETTLE_MS = 2_000;

/** One run: `instances` dashboards (1: the baseline; 2: leader and follower), the same load. */
async function run(settings: ClusterSettings, instances: 1 | 2): Promise<{ sides: ClusterSide[]; cpuUsPerLine: number[]; allStored: boolean }> {
  const database = await benchSchema();
  const prefix = `nixfleet-bench-${randomBytes(4).toString('hex')}`;
  const env = (id: string): Record<string, string> => ({
    NIXFLEET_DATABASE_URL: database.url,
    NIXFLEET_SESSION_SECRET: 'bench-session-secret-shared-by-the-instances',
    NIXFLEET_INSTANCE_ID: id,
    ...(instances === 2 ? { NIXFLEET_REDIS_URL: CLUSTER_REDIS_URL, NIXFLEET_REDIS_PREFIX: prefix } : {}),
  });
  const dashboards: DashboardProcess[] = [];
  const pools: BrowserPool[] = [];
  const agents = new AgentPool(2);
  let stopped = false;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    await agents.stop().catch(() => undefined);
    for (const pool of pools) await pool.stop().catch(() => undefined);
    // Followers first: the leader stops last, writing what is pending.
    for (const dashboard of [...dashboards].reverse()) await dashboard.stop().catch(() => undefined);
  };
  try {
    dashboards.push(await startDashboardProcess({ env: env('leader'), main: process.env.BENCH_DASHBOARD_MAIN }));
    if (instances === 2) {
      await waitForRole(dashboards[0] as DashboardProcess, 'leader');
      dashboards.push(await startDashboardProcess({ env: env('follower'), main: process.env.BENCH_DASHBOARD_MAIN }));
      await waitForRole(dashboards[1] as DashboardProcess, 'follower');
    }
    const agentSide = dashboards.at(-1) as DashboardProcess;
    const session = await adminLogin(agentSide.url);
    for (const dashboard of dashboards) {
      const pool = new BrowserPool(1);
      pools.push(pool);
      await pool.connect({ wsUrl: dashboard.wsUrl, cookie: session.cookie, count: settings.browsers / dashboards.length });
    }
    const hostnames = Array.from({ length: settings.agents }, (_, i) => `bench-${String(i).padStart(5, '0')}`);
    const connected = await agents.connect({ wsUrl: agentSide.wsUrl, token: BENCH_TOKEN, hostnames, mode: 'v1', heartbeatIntervalS: 5, commandRun: null, reconnect: false });
    if (connected.failed > 0) throw new Error(`${connected.failed} agents failed to connect`);
    await dispatchAll(agentSide.url, session, hostnames, 'switch');
    await agents.waitForCommands(settings.agents);
    const cpuBefore = dashboards.map((d) => d.cpuMs());
    const { sent } = await agents.stream({ durationMs: settings.durationMs, linesPerSecond: settings.linesPerSecond, lineBytes: 120, maxLinesPerFrame: 50 });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const cpuMs = dashboards.map((d, i) => d.cpuMs() - (cpuBefore[i] ?? 0));
    const reports = await Promise.all(pools.map(async (pool) => (await pool.report()).browsers));
    const deliveries = reports.flat().reduce((n, r) => n + r.linesReceived, 0);
    await stopAll();
    const stored = await storedLines(database.url);
    return {
      sides: reports.map((r) => side(r, sent)),
      cpuUsPerLine: cpuMs.map((ms) => (ms * 1000) / Math.max(1, deliveries)),
      allStored: Object.entries(sent).every(([id, count]) => stored.get(id) === count),
    };
  } finally {
    await stopAll();
    await database.drop();
  }
}

export async function runCluster(settings: ClusterSettings = CLUSTER_SETTINGS): Promise<ClusterMeasured> {
  const single = await run(settings, 1);
  const cluster = await run(settings, 2);
  const [only] = single.sides;
  const [onLeader, onFollower] = cluster.sides;
  if (!only || !onLeader || !onFollower) throw new Error('a side of the cluster scenario reported nothing');
  return {
    single: { ...only, cpuUsPerLine: single.cpuUsPerLine[0] ?? NaN },
    onLeader,
    onFollower,
    leaderCpuUsPerLine: cluster.cpuUsPerLine[0] ?? NaN,
    followerCpuUsPerLine: cluster.cpuUsPerLine[1] ?? NaN,
    allStored: single.allStored && cluster.allStored,
  };
}

/** Whether PostgreSQL and Redis answer; the reason when not. */
export async function clusterServersProblem(): Promise<string | null> {
  const client = new pg.Client({ connectionString: CLUSTER_DATABASE_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
  } catch (err) {
    return `no PostgreSQL at ${CLUSTER_DATABASE_URL}: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
  const { Redis } = await import('ioredis');
  const redis = new Redis(CLUSTER_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (err) {
    return `no Redis at ${CLUSTER_REDIS_URL}: ${(err as Error).message}`;
  } finally {
    redis.disconnect();
  }
}

/** The scenario's verdicts: nothing lost, reordered or left unstored across the bus (latency is reported, not judged). */
export function clusterVerdicts(m: ClusterMeasured): { target: string; actual: string; pass: boolean }[] {
  const sides = [m.onLeader, m.onFollower];
  return [
    { target: '0 lines lost across instances', actual: String(sides.reduce((n, s) => n + s.lost, 0)), pass: sides.every((s) => s.lost === 0) },
    { target: '0 lines reordered', actual: String(sides.reduce((n, s) => n + s.reordered, 0)), pass: sides.every((s) => s.reordered === 0) },
    { target: 'every line stored once', actual: m.allStored ? 'yes' : 'no', pass: m.allStored },
  ];
}

export function describeCluster(m: ClusterMeasured): string[] {
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const us = (n: number) => `${n.toFixed(2)} µs`;
  return [
    `one instance on PostgreSQL: p99 ${ms(m.single.p99Ms)}, ${us(m.single.cpuUsPerLine)} CPU per delivered line`,
    `two instances, browsers on the leader: p99 ${ms(m.onLeader.p99Ms)} (+${ms(m.onLeader.p99Ms - m.single.p99Ms)}); on the follower: p99 ${ms(m.onFollower.p99Ms)} (+${ms(m.onFollower.p99Ms - m.single.p99Ms)})`,
    `CPU per delivered line: leader ${us(m.leaderCpuUsPerLine)}, follower (holding the agents) ${us(m.followerCpuUsPerLine)}`,
  ];
}

/** `node --import tsx bench/cluster.ts [seconds]`: the scenario alone, printed as JSON. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.argv[2] ?? CLUSTER_SETTINGS.durationMs / 1000);
  runCluster({ ...CLUSTER_SETTINGS, durationMs: seconds * 1000 }).then(
    (measured) => {
      console.log(JSON.stringify(measured, null, 2));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

// A cluster for tests: dashboard instances as real processes (built JavaScript, so that they can be
// killed), sharing a fresh PostgreSQL schema and a Redis key prefix of their own.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { Redis } from 'ioredis';
import fs from 'node:fs';
import path from 'node:path';
import { builtArgs } from './built-program.js';
import { testDatabase, TEST_REDIS_URL, type TestDatabase } from './cluster-servers.js';
import { tempDir, testEnv } from './dashboard.js';
import { agentEnv, onTestProcessEnd, startAgent, type AgentProcess } from '../agent/support/agent-process.js';
import { FakeTools } from '../agent/support/fake-tools.js';
import { FleetRepo } from '../agent/support/fleet-repo.js';
import { TEST_AGENT_TOKEN } from './dashboard.js';

const START_TIMEOUT_MS = 30_000;

/** Whether Redis answers at `url`; without it the test is skipped, or fails under CI. */
export async function testRedis(t: TestContext, url = TEST_REDIS_URL): Promise<string | null> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
    return url;
  } catch (err) {
    const problem = (err as Error).message;
    if (process.env.CI === 'true') throw new Error(`Redis at ${url} is required in CI: ${problem}`);
    t.skip(`no Redis at ${url} (${problem}); start it (or set NIXFLEET_TEST_REDIS_URL) to run it: redis-server --daemonize yes --port 6379 --save ""`);
    return null;
  } finally {
    client.disconnect();
  }
}

export interface InstanceProcess {
  name: string;
  child: ChildProcess;
  url: string;
  wsUrl: string;
  dataDir: string;
  /** Everything it logged so far (JSON lines). */
  log(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface InstanceHealth {
  status: string;
  instance: string;
  role: 'leader' | 'follower';
  leader: string | null;
  database: string;
  bus: string;
  problems?: string[];
}

export class TestCluster {
  readonly instances: InstanceProcess[] = [];
  readonly prefix = `nixfleet-test-${randomBytes(6).toString('hex')}`;

  private constructor(
    readonly database: TestDatabase,
    readonly redisUrl: string,
    private readonly env: Record<string, string>,
  ) {}

  /**
   * A cluster with no instance yet; null when the servers are missing outside CI (the test is
   * skipped). By default on the shared test servers; `servers` names others (a test's own).
   */
  static async create(t: TestContext, env: Record<string, string> = {}, servers: { redisUrl?: string; databaseUrl?: string } = {}): Promise<TestCluster | null> {
    const redis = await testRedis(t, servers.redisUrl);
    if (redis === null) return null;
    const database = servers.databaseUrl ? { url: servers.databaseUrl, schema: 'public', drop: async () => {} } : await testDatabase(t);
    if (database === null) return null;
    const cluster = new TestCluster(database, redis, env);
    onTestProcessEnd(() => {
      for (const instance of cluster.instances) instance.child.kill('SIGKILL');
    });
    t.after(() => cluster.close());
    return cluster;
  }

  /** Starts an instance and resolves once it listens. */
  async start(name: string, env: Record<string, string> = {}): Promise<InstanceProcess> {
    const dataDir = tempDir(`nixfleet-cluster-${name}-`);
    const child = spawn(process.execPath, builtArgs('src/dashboard/main.ts'), {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        ...testEnv(dataDir, {
          NIXFLEET_DATABASE_URL: this.database.url,
          NIXFLEET_REDIS_URL: this.redisUrl,
          NIXFLEET_REDIS_PREFIX: this.prefix,
          NIXFLEET_INSTANCE_ID: name,
          NIXFLEET_LOG_LEVEL: 'info',
          ...this.env,
          ...env,
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`instance ${name} did not listen within ${START_TIMEOUT_MS} ms:\n${log}`)), START_TIMEOUT_MS);
      const look = () => {
        const match = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"dashboard listening"/.exec(log);
        if (!match?.[1]) return;
        clearTimeout(timer);
        child.stdout?.off('data', look);
        resolve(match[1]);
      };
      child.stdout?.on('data', look);
      void exited.then(({ code }) => reject(new Error(`instance ${name} exited with ${code} before it listened:\n${log}`)));
    });
    const instance: InstanceProcess = {
      name,
      child,
      url,
      wsUrl: `${url.replace(/^http/, 'ws')}/ws`,
      dataDir,
      log: () => log,
      exited,
      kill: (signal = 'SIGKILL') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
    };
    this.instances.push(instance);
    return instance;
  }

  /** Resolves once `instance` answers /health with `role` (and a link to the leader). */
  async waitForRole(instance: InstanceProcess, role: 'leader' | 'follower', timeoutMs = 20_000): Promise<InstanceHealth> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown = null;
    for (;;) {
      try {
        const health = (await (await fetch(`${instance.url}/health`)).json()) as InstanceHealth;
        last = health;
        if (health.role === role && health.status === 'ok') return health;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) throw new Error(`${instance.name} is not a healthy ${role} after ${timeoutMs} ms: ${JSON.stringify(last)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Instance `a`, the leader, and `b`, a follower linked to it: the usual start of a test. */
  async startPair(env: Record<string, string> = {}): Promise<[InstanceProcess, InstanceProcess]> {
    const a = await this.start('a', env);
    await this.waitForRole(a, 'leader');
    const b = await this.start('b', env);
    await this.waitForRole(b, 'follower');
    return [a, b];
  }

  async close(): Promise<void> {
    await Promise.all(this.instances.map((instance) => instance.kill('SIGTERM')));
  }
}

/**
 * A real agent for `hostname` against `wsUrl` (an instance, or a balancer in front of several), with
 * fake Nix tools and a fleet repository of its own; it reconnects quickly, as a test wants.
 */
export function startClusterAgent(t: TestContext, wsUrl: string, hostname: string): { agent: AgentProcess; tools: FakeTools } {
  const root = tempDir(`nixfleet-cluster-agent-${hostname}-`);
  const tools = new FakeTools(path.join(root, 'tools'));
  t.after(() => tools.killLeftovers());
  fs.mkdirSync(path.join(root, 'repo'));
  fs.mkdirSync(path.join(root, 'state'));
  const repo = new FleetRepo(path.join(root, 'repo'), hostname);
  const agent = startAgent(
    agentEnv(
      {
        NIXFLEET_URL: wsUrl,
        NIXFLEET_TOKEN: TEST_AGENT_TOKEN,
        NIXFLEET_HOSTNAME: hostname,
        NIXFLEET_REPO_DIR: repo.hostClone,
        NIXFLEET_STATE_DIR: path.join(root, 'state'),
        NIXFLEET_INTERVAL: '1',
        NIXFLEET_HOST_TYPE: 'nixos',
        NIXFLEET_SUDO: '',
        NIXFLEET_RECONNECT_MIN: '200ms',
        NIXFLEET_RECONNECT_MAX: '1s',
        ...tools.env,
      },
      tools.binDir,
    ),
  );
  t.after(() => agent.kill());
  return { agent, tools };
}

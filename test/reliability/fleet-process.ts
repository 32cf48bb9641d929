// A fleet for the reliability tests: the dashboard as its own process (so it can be killed), real
// agents as child processes, fake Nix tools and one git repository they share.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { adminLogin, BENCH_TOKEN, startDashboardProcess, type AdminSession, type DashboardProcess } from '../../bench/dashboard-process.js';
import { tempDir } from '../helpers/dashboard.js';
import { freePort } from '../helpers/free-port.js';
import { FakeTools } from '../agent/support/fake-tools.js';
import { FleetRepo } from '../agent/support/fleet-repo.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { agentEnv, onTestProcessEnd } from '../agent/support/agent-process.js';
import { removeBuild, sharedBuild } from '../helpers/built-program.js';
import type { OutputLine } from '../../src/protocol/model.js';

/**
 * Real agents run on their own hosts, not on the dashboard's CPU. Here dozens of them and their
 * programs share two cores with the dashboard, so they run at a lower priority (inherited by the
 * programs they start): the dashboard's time limits, such as exiting within 5 s of SIGTERM, are then
 * measured on the dashboard rather than on how the scheduler shares the cores.
 */
const AGENT_NICE = 10;

function niceAgent(agent: ChildProcess): void {
  try {
    if (agent.pid !== undefined) os.setPriority(agent.pid, AGENT_NICE);
  } catch {
    // Not allowed here: the agents then share the CPU evenly with the dashboard.
  }
}

export class ProcessFleet {
  dashboard!: DashboardProcess;
  session!: AdminSession;
  readonly agents: ChildProcess[] = [];
  readonly tools: FakeTools;
  readonly repo: FleetRepo;
  readonly dataDir = tempDir('nixfleet-reliability-');
  private readonly root = tempDir('nixfleet-reliability-fleet-');

  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    /** The programs built to JavaScript: fifty agents start in seconds rather than a minute. */
    private readonly dist: string,
  ) {
    this.tools = new FakeTools(path.join(this.root, 'tools'));
    const repoDir = path.join(this.root, 'repo');
    fs.mkdirSync(repoDir);
    this.repo = new FleetRepo(repoDir, 'shared');
  }

  /**
   * Where each agent writes its log at level info (`<dir>/<hostname>.log`); discarded when unset.
   * NIXFLEET_TEST_AGENT_LOGS sets it for every fleet, to trace a failing test.
   */
  agentLogDir: string | null = process.env.NIXFLEET_TEST_AGENT_LOGS ?? null;

  static async start(env: Record<string, string> = {}): Promise<ProcessFleet> {
    const fleet = new ProcessFleet(await freePort(), env, sharedBuild());
    onTestProcessEnd(() => {
      for (const agent of fleet.agents) agent.kill('SIGKILL');
      fleet.dashboard?.child.kill('SIGKILL');
    });
    await fleet.startDashboard();
    return fleet;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async startDashboard(): Promise<void> {
    this.dashboard = await startDashboardProcess({
      main: path.join(this.dist, 'dashboard', 'main.js'),
      dataDir: this.dataDir,
      env: { NIXFLEET_LISTEN: `127.0.0.1:${this.port}`, NIXFLEET_STORE_FLUSH_INTERVAL: '20ms', ...this.env },
    });
    this.session = await adminLogin(this.url);
  }

  /** Starts `count` agents named `<prefix>-NN`; resolves once all are registered. */
  async startAgents(prefix: string, count: number, timeoutMs = 120_000): Promise<string[]> {
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
    for (const hostname of names) {
      const stateDir = path.join(this.root, `state-${hostname}`);
      fs.mkdirSync(stateDir, { recursive: true });
      const env = agentEnv(
        {
          NIXFLEET_URL: `ws://127.0.0.1:${this.port}/ws`,
          NIXFLEET_TOKEN: BENCH_TOKEN,
          NIXFLEET_HOSTNAME: hostname,
          NIXFLEET_REPO_DIR: this.repo.hostClone,
          NIXFLEET_STATE_DIR: stateDir,
          NIXFLEET_INTERVAL: '2',
          NIXFLEET_HOST_TYPE: 'nixos',
          NIXFLEET_SUDO: '',
          NIXFLEET_RECONNECT_MIN: '200ms',
          NIXFLEET_RECONNECT_MAX: '2s',
          NIXFLEET_LOG_LEVEL: this.agentLogDir ? 'info' : 'warn',
          ...this.tools.env,
        },
        this.tools.binDir,
      );
      const log = this.agentLogDir ? fs.openSync(path.join(this.agentLogDir, `${hostname}.log`), 'a') : 'ignore';
      const agent = spawn(process.execPath, [path.join(this.dist, 'agent', 'main.js')], { env, stdio: ['ignore', log, log] });
      if (typeof log === 'number') fs.closeSync(log);
      niceAgent(agent);
      this.agents.push(agent);
    }
    await this.until(async () => {
      const hosts = await this.hosts();
      return names.every((name) => hosts.some((h) => h.id === name && h.connected)) || undefined;
    }, `${count} agents registered`, timeoutMs);
    return names;
  }

  async api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; json: T }> {
    const response = await fetch(`${this.url}${route}`, {
      method,
      headers: { cookie: this.session.cookie, 'x-csrf-token': this.session.csrf, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, json: (await response.json()) as T };
  }

  async hosts(): Promise<{ id: string; connected: boolean; running_command: { id: string; status: string; output_lines: number } | null }[]> {
    return (await this.api<{ hosts: [] }>('GET', '/api/hosts')).json.hosts;
  }

  async output(commandId: string): Promise<{ command: { status: string; message: string }; lines: OutputLine[] }> {
    return (await this.api<{ command: { status: string; message: string }; lines: OutputLine[] }>('GET', `/api/commands/${commandId}/output?limit=100000`)).json;
  }

  /** Polls `check` every 200 ms until it returns a value. */
  async until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** `PRAGMA integrity_check` of the database, opened while no dashboard runs. */
  integrity(): string {
    const db = new Database(path.join(this.dataDir, 'nixfleet.sqlite'));
    try {
      return String(db.pragma('integrity_check', { simple: true }));
    } finally {
      db.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      this.agents.map((agent) => {
        if (agent.exitCode !== null || agent.signalCode !== null) return undefined;
        const gone = new Promise((resolve) => agent.once('exit', resolve));
        agent.kill('SIGKILL');
        return gone;
      }),
    );
    if (this.dashboard.child.exitCode === null) await this.dashboard.stop();
    this.tools.killLeftovers();
    removeBuild(this.dist);
  }
}

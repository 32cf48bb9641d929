// One test fleet: a real dashboard on loopback, a logged-in admin, real git repositories, fake Nix
// tools on PATH, and the environment that points an agent at all of it.
import fs from 'node:fs';
import path from 'node:path';
import { login, startTestDashboard, tempDir, TEST_AGENT_TOKEN, type Session, type TestDashboard } from '../../helpers/dashboard.js';
import { freePort } from '../../helpers/free-port.js';
import type { CommandRecord, HostRecord } from '../../../src/dashboard/store/store.js';
import type { OutputLine } from '../../../src/protocol/model.js';
import { FakeTools } from './fake-tools.js';
import { FleetRepo } from './fleet-repo.js';
import { agentEnv, onTestProcessEnd, startAgent, type AgentProcess, type StartOptions } from './agent-process.js';

export const WAIT_MS = 15_000;
const POLL_MS = 20;

/** Resolves with the first truthy value of `check` (which may be async), polled; rejects naming `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class TestFleet {
  readonly root: string;
  readonly tools: FakeTools;

  private constructor(
    public t: TestDashboard,
    public session: Session,
    root: string,
    /** The dashboard's own settings, kept across its restarts. */
    private readonly dashboardEnv: Record<string, string>,
  ) {
    this.root = root;
    this.tools = new FakeTools(path.join(root, 'tools'));
    onTestProcessEnd(() => this.tools.killLeftovers());
  }

  static async start(dashboardEnv: Record<string, string> = {}): Promise<TestFleet> {
    // A port its restarts can take again (see freePort).
    const t = await startTestDashboard({ NIXFLEET_LISTEN: `127.0.0.1:${await freePort()}`, ...dashboardEnv });
    return new TestFleet(t, await login(t.url), tempDir('nixfleet-agent-test-'), dashboardEnv);
  }

  /** A fresh origin and host clone for `hostname`. */
  repo(hostname: string): FleetRepo {
    const dir = path.join(this.root, `repo-${hostname}`);
    fs.mkdirSync(dir, { recursive: true });
    return new FleetRepo(dir, hostname);
  }

  /** A state dir of its own for an agent. */
  stateDir(name: string): string {
    const dir = path.join(this.root, `state-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** The environment of an agent for `hostname` against this dashboard; `extra` overrides. */
  agentEnv(hostname: string, repoDir: string, extra: Record<string, string> = {}): Record<string, string> {
    return agentEnv(
      {
        NIXFLEET_URL: this.t.wsUrl,
        NIXFLEET_TOKEN: TEST_AGENT_TOKEN,
        NIXFLEET_HOSTNAME: hostname,
        NIXFLEET_REPO_DIR: repoDir,
        NIXFLEET_STATE_DIR: this.stateDir(hostname),
        NIXFLEET_INTERVAL: '1',
        NIXFLEET_HOST_TYPE: 'nixos',
        NIXFLEET_SUDO: '',
        NIXFLEET_RECONNECT_MIN: '50ms',
        NIXFLEET_RECONNECT_MAX: '250ms',
        NIXFLEET_STOP_GRACE: '2s',
        ...this.tools.env,
        ...extra,
      },
      this.tools.binDir,
    );
  }

  /** Starts an agent and waits until the dashboard has it registered and connected. */
  async startAgent(env: Record<string, string>, options: StartOptions = {}): Promise<AgentProcess> {
    const hostname = env.NIXFLEET_HOSTNAME ?? '';
    const agent = startAgent(env, [], options);
    await waitFor(() => this.host(hostname)?.connected, `${hostname} to register`).catch((err: Error) => {
      throw new Error(`${err.message}\nagent stderr:\n${agent.stderr()}`);
    });
    return agent;
  }

  host(hostId: string): (HostRecord & { connected: boolean }) | undefined {
    const entry = this.t.dashboard.context.hub.parts.fleet.get(hostId);
    return entry ? { ...entry.record, connected: entry.connected } : undefined;
  }

  command(id: string): CommandRecord | undefined {
    return this.t.dashboard.context.hub.parts.commands.get(id);
  }

  /** Sends a command as the admin (with `queue`, behind what the host runs); fails the test unless the dashboard took it. */
  async send(hostId: string, command: string, options: { queue?: boolean } = {}): Promise<string> {
    const response = await fetch(`${this.t.url}/api/hosts/${hostId}/command`, {
      method: 'POST',
      headers: { cookie: this.session.cookie, 'x-csrf-token': this.session.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ command, ...options }),
    });
    const body = (await response.json()) as { command_id?: string; message?: string };
    if (response.status !== 202 || !body.command_id) throw new Error(`${command} to ${hostId}: HTTP ${response.status} ${body.message ?? ''}`);
    return body.command_id;
  }

  /** Waits until the command has ended (any status but queued and running) and returns its record. */
  ended(id: string, timeoutMs = WAIT_MS): Promise<CommandRecord> {
    return waitFor(() => {
      const record = this.command(id);
      return record && record.status !== 'queued' && record.status !== 'running' ? record : undefined;
    }, `command ${id} to end`, timeoutMs);
  }

  /** Every stored output line of a command, through the HTTP API as a browser would read them. */
  async output(id: string): Promise<OutputLine[]> {
    const response = await fetch(`${this.t.url}/api/commands/${id}/output?limit=1000000`, { headers: { cookie: this.session.cookie } });
    if (response.status !== 200) throw new Error(`output of ${id}: HTTP ${response.status}`);
    return ((await response.json()) as { lines: OutputLine[] }).lines;
  }

  /** The dashboard's event log of a host, oldest first, as the admin reads it. */
  async events(hostId: string): Promise<string[]> {
    const response = await fetch(`${this.t.url}/api/events?host=${hostId}&limit=1000`, { headers: { cookie: this.session.cookie } });
    const { events } = (await response.json()) as { events: { id: number; message: string }[] };
    return events.sort((a, b) => a.id - b.id).map((e) => e.message);
  }

  /** Stops the dashboard and starts a new one on the same port and data dir (a dashboard restart). */
  async restartDashboard(downMs: number): Promise<void> {
    const port = this.t.dashboard.port;
    const dataDir = this.t.dataDir;
    await this.t.close();
    await sleep(downMs);
    this.t = await startTestDashboard({ ...this.dashboardEnv, NIXFLEET_LISTEN: `127.0.0.1:${port}` }, dataDir);
    this.session = await login(this.t.url);
  }

  /** Replaces the dashboard by one with an empty data dir on the same port (its database was lost). */
  async replaceDashboard(): Promise<void> {
    const port = this.t.dashboard.port;
    await this.t.close();
    this.t = await startTestDashboard({ ...this.dashboardEnv, NIXFLEET_LISTEN: `127.0.0.1:${port}` });
    this.session = await login(this.t.url);
  }

  /** Stops the dashboard and kills whatever the test's agents and fakes left running. */
  async close(): Promise<void> {
    this.tools.killLeftovers();
    await this.t.close();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** The numbers N of "line N" outputs, in the order they were stored. */
export function lineNumbers(lines: readonly OutputLine[], stream: 'stdout' | 'stderr' = 'stdout'): number[] {
  return lines.filter((l) => l.stream === stream && /^line \d+$/.test(l.line)).map((l) => Number(l.line.slice(5)));
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

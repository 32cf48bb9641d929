// The agent assembled: the connection, what happens on each (re)connect, and where each frame of the
// dashboard goes. Every connect registers first (protocol v1, naming the command still running);
// only after `registered` do heartbeats start and pending output and statuses go out. What the agent
// knows of the host (the update_status book, the running system's commit) is read back from the
// state dir at start, and kept fresh by the refresher.
import type { Logger } from 'pino';
import type { AgentToDashboardMessage, RegisterPayload } from '../protocol/agent.js';
import type { AgentConfig } from './config.js';
import { DashboardConnection } from './connection/connection.js';
import type { Inbound } from './connection/inbound.js';
import { Outbox } from './output/outbox.js';
import { RunState } from './state.js';
import { CommandDesk } from './command-desk.js';
import { Heartbeat, buildHeartbeat, firstHeartbeatDelayMs } from './heartbeat.js';
import { MetricsSampler } from './host/metrics.js';
import { RepoFacts } from './host/repo-facts.js';
import { readSystemFacts, type SystemFacts } from './host/system-facts.js';
import { UpdateStatusBook } from './host/update-status.js';
import { SystemRecord } from './host/system-record.js';
import { Refresher } from './freshness/refresher.js';
import { AGENT_VERSION } from './version.js';
import { buildRegister } from './register.js';

const MS_PER_S = 1_000;
/** A dashboard that opens the socket but does not answer `register` within this is tried again. */
const REGISTER_TIMEOUT_MS = 15_000;

export class Agent {
  private readonly connection: DashboardConnection;
  private readonly outbox: Outbox;
  private readonly desk: CommandDesk;
  private readonly heartbeat: Heartbeat;
  private readonly repo: RepoFacts;
  private readonly system: SystemFacts;
  private readonly systemRecord: SystemRecord;
  private readonly refresher: Refresher;
  private registered = false;
  private registerTimer: NodeJS.Timeout | null = null;
  /** Error codes already logged on this connection: a dashboard that lost a command answers every frame. */
  private readonly loggedErrors = new Set<string>();

  constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
    exit: (code: number) => void,
  ) {
    this.repo = new RepoFacts(config.repoDir);
    this.system = readSystemFacts();
    this.systemRecord = new SystemRecord(config.stateDir, log);
    this.systemRecord.load();
    const updates = new UpdateStatusBook(config.stateDir, log);
    updates.load();
    this.refresher = new Refresher({ config, repo: this.repo, updates, log });
    const metrics = new MetricsSampler();
    this.outbox = new Outbox(config.outputBufferLines);
    this.connection = new DashboardConnection(
      {
        url: config.url,
        token: config.token,
        backoff: { minMs: config.reconnectMinMs, maxMs: config.reconnectMaxMs },
        deadAfterMs: config.deadAfterMs,
        userAgent: `nixfleet-agent/${AGENT_VERSION}`,
        log,
      },
      { opened: () => this.opened(), message: (message) => this.received(message), closed: () => this.closed() },
    );
    this.desk = new CommandDesk({
      config,
      repo: this.repo,
      system: this.system,
      updates,
      systemRecord: this.systemRecord,
      state: new RunState(config.stateDir, (err) => log.error({ err }, 'cannot write or remove the run record: a restart of the agent now could miss the command that runs or report one again')),
      outbox: this.outbox,
      refresher: this.refresher,
      log,
      reported: () => this.heartbeat.soon(),
      sendTransient: (message) => this.sendTransient(message),
      exit,
    });
    const sources = {
      metrics,
      repo: this.repo,
      updates,
      system: this.system,
      systemRecord: this.systemRecord,
      pending: () => this.desk.pending(),
    };
    this.heartbeat = new Heartbeat(config.heartbeatIntervalS * MS_PER_S, () => {
      this.connection.send({ type: 'heartbeat', payload: buildHeartbeat(sources) });
    });
  }

  start(): void {
    this.desk.resume();
    this.connection.start();
    this.refresher.start();
  }

  /** Ends the agent: a piped command is stopped and reported first, then the connection closes. */
  async stop(reason: string): Promise<void> {
    await this.desk.settleBeforeExit(reason);
    await this.refresher.stop();
    this.heartbeat.stop();
    await this.connection.close();
  }

  private registerPayload(): RegisterPayload {
    const { config, repo, system } = this;
    return buildRegister({ config, repo, system, systemCommit: this.systemRecord.commit, running: this.desk.running() });
  }

  private opened(): void {
    this.loggedErrors.clear();
    this.connection.send({ type: 'register', payload: this.registerPayload() });
    this.registerTimer = setTimeout(() => this.connection.drop('no answer to register'), REGISTER_TIMEOUT_MS);
  }

  private received(message: Inbound): void {
    switch (message.type) {
      case 'registered':
        this.log.info({ host_id: message.payload.host_id }, 'registered');
        this.registered = true;
        this.clearRegisterTimer();
        this.connection.markHealthy();
        this.heartbeat.start(firstHeartbeatDelayMs(this.config.heartbeatIntervalS * MS_PER_S));
        this.outbox.online(this.connection);
        return;
      case 'command':
      case 'unknown_command':
        this.log.info({ command: message.payload.command, command_id: message.payload.command_id }, 'command received');
        return this.desk.receive(message.payload.command, message.payload.command_id);
      case 'kill_command':
        return this.desk.kill(message.payload);
      case 'error':
        if (this.loggedErrors.has(message.payload.code)) return;
        this.loggedErrors.add(message.payload.code);
        this.log.warn({ code: message.payload.code }, `the dashboard says: ${message.payload.message} (logged once per connection)`);
        return;
    }
  }

  private clearRegisterTimer(): void {
    if (this.registerTimer) clearTimeout(this.registerTimer);
    this.registerTimer = null;
  }

  private closed(): void {
    this.registered = false;
    this.clearRegisterTimer();
    this.heartbeat.stop();
    this.outbox.offline();
    this.desk.disconnected();
  }

  private sendTransient(message: AgentToDashboardMessage): void {
    if (this.registered) this.connection.send(message);
  }
}

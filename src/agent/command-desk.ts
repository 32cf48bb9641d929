// Where the dashboard's commands are decided: one at a time, a second one refused while one runs,
// `stop`, `restart` and `reboot` always taken. A command counts as running from the moment it is
// taken until its final status is delivered, even when its program ended long before (while the
// dashboard was unreachable): that is what `register` and heartbeats report, so the dashboard keeps
// waiting for the status instead of giving the command up as lost. The background checks stay out
// of the way meanwhile, and check again what a command changed once it is reported.
import type { Logger } from 'pino';
import type { AgentToDashboardMessage, KillCommandPayload, RunningCommand, StatusPayload } from '../protocol/agent.js';
import type { AgentConfig } from './config.js';
import type { Outbox, CommandReport } from './output/outbox.js';
import type { PersistedRun, RunState } from './state.js';
import type { RepoFacts } from './host/repo-facts.js';
import type { SystemFacts } from './host/system-facts.js';
import type { UpdateStatusBook } from './host/update-status.js';
import type { SystemRecord } from './host/system-record.js';
import type { Refresher } from './freshness/refresher.js';
import { startPiped } from './executor/process-group.js';
import { CommandRun } from './commands/command-run.js';
import { definitionOf } from './commands/registry.js';
import { describeEnd, failed, succeeded, type CommandDefinition, type CommandOutcome } from './commands/context.js';
import { AGENT_VERSION } from './version.js';

/** systemd restarts the agent on this exit code (RestartForceExitStatus=101 in the unit). */
export const RESTART_EXIT_CODE = 101;
/** Beyond the stop grace, how long an exiting agent waits for a stopped command's status to be delivered. */
export const EXIT_REPORT_WAIT_MS = 3_000;

export interface DeskParts {
  config: AgentConfig;
  repo: RepoFacts;
  system: SystemFacts;
  updates: UpdateStatusBook;
  systemRecord: SystemRecord;
  state: RunState;
  outbox: Outbox;
  /** The background checks: none runs while a command does. */
  refresher: Pick<Refresher, 'hold' | 'release'>;
  log: Logger;
  /** A command's status was delivered: the dashboard should see what it changed now. */
  reported(): void;
  /** Sends now if connected; for frames that need no delivery guarantee. */
  sendTransient(message: AgentToDashboardMessage): void;
  /** Ends the agent process with this code, after closing the connection. */
  exit(code: number): void;
}

interface Active {
  id: string;
  name: string;
  run: CommandRun;
  report: CommandReport;
}

type Body = (run: CommandRun) => Promise<CommandOutcome>;

/** Final statuses of commands reported by this agent process, kept to answer a command sent again. */
export const FINISHED_KEPT = 32;

export class CommandDesk {
  private active: Active | null = null;
  /** The final status of each command this process reported, oldest first, by id. */
  private readonly finished = new Map<string, StatusPayload>();
  /** Counts connections; a command deferred on one connection is not started on the next. */
  private connectionEpoch = 0;
  /**
   * The agent process is ending (a restart after a switch, `restart`, a stop signal): nothing new
   * starts but a reboot. A command that arrives now is not taken; `register` does not name it, so the
   * dashboard sends it again to the next agent process.
   */
  private closing = false;

  constructor(private readonly parts: DeskParts) {}

  /** What `register` reports as still running. */
  running(): RunningCommand | null {
    return this.active ? { command_id: this.active.id, command: this.active.name, pid: this.active.run.pid } : null;
  }

  /** What heartbeats report. */
  pending(): { pending_command: string | null; command_pid: number | null } {
    return { pending_command: this.active?.name ?? null, command_pid: this.active?.run.pid ?? null };
  }

  receive(name: string, commandId: string): void {
    if (name === 'stop') return this.stopFor(commandId);
    // The dashboard completes a reboot when the agent is back: one not done now would never be.
    if (name === 'reboot') return void this.reboot(commandId);
    if (this.closing) {
      // `restart` is what happens anyway.
      this.parts.log.info({ command: name, command_id: commandId }, 'the agent is exiting: the next agent process gets this command');
      return;
    }
    if (name === 'restart') return this.restart();
    const active = this.active;
    // A command this agent already has is never run twice. The dashboard sends a command again
    // only when it believes the agent never had it; if it is wrong, it gets the truth instead.
    if (active?.id === commandId) {
      this.parts.log.warn({ command_id: commandId }, 'the dashboard sent a command that runs here already; ignored');
      return;
    }
    const reported = this.finished.get(commandId);
    if (reported) {
      this.parts.log.warn({ command_id: commandId }, 'the dashboard sent a command that ran here already; its status goes again');
      this.parts.sendTransient({ type: 'status', payload: reported });
      return;
    }
    if (active?.report.status || active?.run.stopRequested) {
      // The previous command is over, or stops: only its end or its report is outstanding (the
      // status, or the proof of its delivery). The dashboard sent the next command because it has
      // (or is about to have) that status, or gave the command up (a time limit, which also told it
      // to stop): start the next one once the report is through rather than refuse it.
      const epoch = this.connectionEpoch;
      void active.report.delivered.then(() => {
        if (epoch === this.connectionEpoch) this.receive(name, commandId);
      });
      return;
    }
    if (active) return this.reject(commandId);
    const definition = definitionOf(name);
    const body: Body = definition
      ? (run) => definition.run(run)
      : async () => failed(`unknown command "${name}": nixfleet-agent ${AGENT_VERSION} does not know it`);
    void this.execute(commandId, name, body, { definition });
  }

  /**
   * The connection was lost: commands deferred on it are dropped. `register` does not name them, so
   * the dashboard sends them again.
   */
  disconnected(): void {
    this.connectionEpoch += 1;
  }

  /** `kill_command`: a stop of one command with the dashboard's choice of signal. */
  kill(payload: KillCommandPayload): void {
    if (this.active?.id !== payload.command_id) {
      this.parts.log.info({ command_id: payload.command_id }, 'kill_command for a command that does not run here; ignored');
      return;
    }
    this.active.run.stop(payload.signal, `stopped by the dashboard (${payload.signal})`);
  }

  /** At start: finishes the command a previous agent process left running. */
  resume(): void {
    const { run: left, problem } = this.parts.state.read();
    if (problem) this.parts.log.warn(problem);
    if (!left) return;
    const definition = definitionOf(left.command);
    const step = left.step;
    if (step?.detached && definition?.resume) {
      const resume = definition.resume;
      this.parts.log.info({ command: left.command, command_id: left.command_id, pid: step.pid }, 'following a command an earlier agent process started');
      void this.execute(left.command_id, left.command, async (run) => resume(run, await run.follow(step)), {
        definition,
        seqBase: step.seq_base,
        persisted: left,
      });
      return;
    }
    // A piped program lost its pipes with the agent that ran it: its output and end are unknown.
    const message = 'the agent restarted while this command ran; how it ended is unknown';
    void this.execute(left.command_id, left.command, async () => failed(message), { persisted: { ...left, step: null } });
  }

  private async execute(
    id: string,
    name: string,
    body: Body,
    options: { definition?: CommandDefinition; seqBase?: number; persisted?: PersistedRun },
  ): Promise<void> {
    const { outbox, state, log } = this.parts;
    const report = outbox.open(id, name, options.seqBase ?? 0);
    const persisted = options.persisted ?? { command_id: id, command: name, started_at: Date.now(), step: null };
    const run = new CommandRun({ ...this.parts, report }, persisted);
    this.active = { id, name, run, report };
    state.write(persisted);
    log.info({ command: name, command_id: id }, 'command started');
    // A background fetch or evaluation in the same repository must not run beside the command.
    await this.parts.refresher.hold();
    let outcome: CommandOutcome;
    try {
      outcome = await body(run);
    } catch (err) {
      log.error({ err, command: name }, 'command failed inside the agent');
      outcome = failed(`the agent failed while running ${name}: ${(err as Error).message}`);
    }
    if (run.stopRequested) outcome = { status: 'stopped', exit_code: outcome.exit_code, message: run.stopMessage };
    report.finish({ ...outcome, generation: this.parts.repo.generation() || null });
    await report.delivered;
    state.clear(persisted);
    this.active = null;
    if (report.status) this.remember(id, report.status);
    log.info({ command: name, command_id: id, status: outcome.status }, 'command reported');
    this.parts.reported();
    // A failed command left its reason in the book; a check now would replace it with less.
    this.parts.refresher.release(outcome.status === 'ok' ? (options.definition?.rechecks ?? []) : []);
    if (outcome.status === 'ok' && options.definition?.restartsAgent && this.parts.config.restartAfterSwitch) {
      log.info('restarting after the switch, so that the new agent version runs');
      this.exit(RESTART_EXIT_CODE);
    }
  }

  private exit(code: number): void {
    this.closing = true;
    this.parts.exit(code);
  }

  private remember(id: string, status: StatusPayload): void {
    this.finished.set(id, status);
    for (const oldest of this.finished.keys()) {
      if (this.finished.size <= FINISHED_KEPT) break;
      this.finished.delete(oldest);
    }
  }

  private reject(commandId: string): void {
    const active = this.active;
    if (!active) return;
    this.parts.sendTransient({
      type: 'command_rejected',
      payload: { reason: 'another command is running', current_command: active.name, current_pid: active.run.pid, command_id: commandId },
    });
  }

  private stopFor(stopId: string): void {
    const active = this.active;
    const message = active ? `stopping ${active.name}` : 'nothing was running';
    active?.run.stop('SIGTERM', `stopped by stop ${stopId}`);
    // The dashboard settles `stop` itself at delivery; this status only completes the record.
    this.parts.sendTransient({ type: 'status', payload: { status: 'ok', command: 'stop', command_id: stopId, exit_code: null, message } });
  }

  private restart(): void {
    this.exit(RESTART_EXIT_CODE);
  }

  /**
   * Before the agent process ends: a detached program (a switch) goes on and the next agent process
   * reports it; a piped one would lose its pipes, so it is stopped and, if the dashboard is there,
   * reported first.
   */
  async settleBeforeExit(reason: string): Promise<void> {
    this.closing = true;
    const active = this.active;
    if (!active || active.run.survivesRestart) return;
    active.run.stop('SIGTERM', `stopped: ${reason}`);
    const deadline = new Promise((resolve) => setTimeout(resolve, this.parts.config.stopGraceMs + EXIT_REPORT_WAIT_MS).unref());
    await Promise.race([active.report.delivered, deadline]);
  }

  private async reboot(commandId: string): Promise<void> {
    const { config } = this.parts;
    const argv = config.hostType === 'nixos' ? ['systemctl', 'reboot'] : ['shutdown', '-r', 'now'];
    let lastLine = '';
    const running = startPiped({ argv: [...config.privilegePrefix, ...argv], cwd: config.stateDir, env: process.env }, (_stream, line) => {
      if (line.trim()) lastLine = line.trim();
    });
    const result = await running.done;
    // On success the host goes down; the dashboard completes `reboot` when the agent is back.
    if (succeeded(result)) return;
    const message = describeEnd(argv.join(' '), result, lastLine);
    this.parts.sendTransient({ type: 'status', payload: { status: 'error', command: 'reboot', command_id: commandId, exit_code: result.exitCode, message } });
  }
}

// One command as it runs: its programs one after another, their output into the command's report,
// the run recorded in the state dir while a program runs (for a detached one, with the repository
// commit it started from), and stopping (SIGTERM to the program's process group, SIGKILL after the
// grace period).
import fs from 'node:fs';
import path from 'node:path';
import type { OperationProgressPayload, TestProgressPayload, AgentToDashboardMessage } from '../../protocol/agent.js';
import type { Stream } from '../../protocol/model.js';
import type { AgentConfig } from '../config.js';
import type { CommandReport } from '../output/outbox.js';
import { startPiped, type RunningProcess, type StepResult } from '../executor/process-group.js';
import { killGroupLater, signalGroup, type PendingKill } from '../../util/group-signals.js';
import { followRunLog, startDetached } from '../executor/detached.js';
import type { PersistedRun, RunState } from '../state.js';
import type { UpdateStatusBook } from '../host/update-status.js';
import type { RepoFacts } from '../host/repo-facts.js';
import type { SystemFacts } from '../host/system-facts.js';
import type { SystemRecord } from '../host/system-record.js';
import type { CommandContext, StepSpec } from './context.js';
import { processSpecOf } from './step-process.js';

type DetachedStep = Extract<NonNullable<PersistedRun['step']>, { detached: true }>;

export interface CommandRunParts {
  config: AgentConfig;
  repo: RepoFacts;
  system: SystemFacts;
  updates: UpdateStatusBook;
  systemRecord: SystemRecord;
  state: RunState;
  report: CommandReport;
  /** Best-effort frames that are shown, not kept (progress). */
  sendTransient(message: AgentToDashboardMessage): void;
}

export class CommandRun implements CommandContext {
  readonly config: AgentConfig;
  readonly repo: RepoFacts;
  readonly system: SystemFacts;
  readonly updates: UpdateStatusBook;
  readonly systemRecord: SystemRecord;
  lastErrorLine = '';
  private current: RunningProcess | null = null;
  private stopSignal: NodeJS.Signals | null = null;
  private stopReason = '';
  /** The SIGKILL at the end of a stop's grace period. */
  private pendingKill: PendingKill | null = null;

  constructor(
    private readonly parts: CommandRunParts,
    readonly persisted: PersistedRun,
  ) {
    this.config = parts.config;
    this.repo = parts.repo;
    this.system = parts.system;
    this.updates = parts.updates;
    this.systemRecord = parts.systemRecord;
  }

  get stopRequested(): boolean {
    return this.stopSignal !== null;
  }

  get stopMessage(): string {
    return this.stopReason;
  }

  /** Its program runs detached and goes on when this agent process ends. */
  get survivesRestart(): boolean {
    return this.persisted.step?.detached === true;
  }

  get detachedStepCommit(): string | null {
    const step = this.persisted.step;
    return step?.detached ? (step.repo_commit ?? null) : null;
  }

  /** The program that runs now, for `register` and heartbeats. */
  get pid(): number | null {
    return this.current?.pid ?? null;
  }

  note(line: string): void {
    this.parts.report.push('stdout', `[nixfleet-agent] ${line}`);
  }

  progress(progress: OperationProgressPayload['progress']): void {
    this.parts.sendTransient({ type: 'operation_progress', payload: { progress } });
  }

  testProgress(payload: TestProgressPayload): void {
    this.parts.sendTransient({ type: 'test_progress', payload });
  }

  async run(step: StepSpec): Promise<StepResult> {
    if (this.stopSignal) return { exitCode: null, signal: this.stopSignal, error: null };
    const spec = processSpecOf(this.config, step);
    const argv = spec.argv;
    this.lastErrorLine = '';
    this.note(`$ ${argv.join(' ')}`);
    const sink = (stream: Stream, line: string) => this.line(stream, line, step.collect);
    if (!step.detached) {
      const running = startPiped(spec, sink);
      this.record(running.pid === null ? null : { detached: false, pid: running.pid });
      return this.await(running, true);
    }
    const log = this.parts.state.logPathFor(this.persisted.command_id);
    // The log's lines are numbered from here, by this agent and by any later one that follows it.
    const seqBase = this.parts.report.spool.seqAfterUnsent;
    const unit = `nixfleet-${this.persisted.command}-${this.persisted.command_id.slice(0, 8)}`.replace(/[^A-Za-z0-9:_.-]/g, '-');
    // What the step is built from, taken as it starts: the agent that sees it end may be another one.
    const repoCommit = this.repo.commit();
    let pid: number;
    try {
      pid = await startDetached(spec, log, this.config.detach, unit);
    } catch (err) {
      fs.rmSync(log, { force: true });
      return { exitCode: null, signal: null, error: `cannot start ${path.basename(argv[0] ?? '')}: ${(err as Error).message}` };
    }
    const detached: DetachedStep = { detached: true, pid, log, seq_base: seqBase, repo_commit: repoCommit };
    this.record(detached);
    return this.follow(detached);
  }

  /** Follows a detached program to its end: one this process started, or one an earlier agent did. */
  follow(step: DetachedStep): Promise<StepResult> {
    const sink = { room: () => this.parts.report.spool.room, push: (s: Stream, l: string) => this.line(s, l) };
    // The record stays until the status is delivered: the log's end record is what a later agent
    // process would report if this one died first.
    return this.await(followRunLog(step.log, step.pid, sink), false);
  }

  /** Stops the command: its program's whole process group now, and no further steps. */
  stop(signal: NodeJS.Signals, reason: string): void {
    if (!this.stopSignal) {
      this.stopSignal = signal;
      this.stopReason = reason;
    }
    const running = this.current;
    const pid = running?.pid;
    if (!running || !pid) return;
    signalGroup(pid, signal);
    if (signal === 'SIGKILL') return;
    // The whole group, whether or not its leader is still there: a program that ended on SIGTERM may
    // leave one behind that ignored it.
    this.pendingKill ??= killGroupLater(pid, this.config.stopGraceMs);
  }

  private async await(running: RunningProcess, forgetAfter: boolean): Promise<StepResult> {
    this.current = running;
    try {
      return await running.done;
    } finally {
      this.current = null;
      if (forgetAfter) this.record(null);
      this.pendingKill?.leaderEnded();
    }
  }

  private line(stream: Stream, line: string, collect?: string[]): void {
    if (stream === 'stderr' && line.trim()) this.lastErrorLine = line.trim();
    if (stream === 'stdout' && collect) collect.push(line);
    this.parts.report.push(stream, line);
  }

  private record(step: PersistedRun['step']): void {
    this.persisted.step = step;
    this.parts.state.write(this.persisted);
  }
}

// What a command can do: run programs whose output becomes its output, say what it does, report
// progress and freshness. Command definitions see only this; how programs are started, stopped and
// followed across an agent restart is the CommandRun's business.
import type { AgentStatusValue, OperationProgressPayload, TestProgressPayload } from '../../protocol/agent.js';
import type { AgentConfig } from '../config.js';
import type { StepResult } from '../executor/process-group.js';
import type { UpdateStatusBook } from '../host/update-status.js';
import type { RepoFacts } from '../host/repo-facts.js';
import type { SystemFacts } from '../host/system-facts.js';
import type { SystemRecord } from '../host/system-record.js';
import type { FreshCheck } from '../freshness/checks.js';

export interface CommandOutcome {
  status: AgentStatusValue;
  exit_code: number | null;
  message: string;
}

export interface StepSpec {
  argv: readonly string[];
  /** Defaults to the repository. */
  cwd?: string;
  env?: Readonly<Record<string, string>>;
  /** Needs root: run through the privilege prefix (sudo) unless the agent is root. */
  privileged?: boolean;
  /** Must outlive an agent restart: it activates a new system, which restarts the agent. */
  detached?: boolean;
  /** Receives the program's stdout lines as well (they are still output). */
  collect?: string[];
}

export interface CommandContext {
  readonly config: AgentConfig;
  readonly repo: RepoFacts;
  readonly system: SystemFacts;
  readonly updates: UpdateStatusBook;
  /** The commit the running system was switched from: activations record theirs. */
  readonly systemRecord: SystemRecord;
  /**
   * The repository's full commit when this command's detached step (an activation) started, from
   * the run record, so the agent process that sees the step end knows it even if it did not start
   * it. Null when no detached step started, or the agent that started it did not record it.
   */
  readonly detachedStepCommit: string | null;
  /** The command was told to stop; later steps do not start. */
  readonly stopRequested: boolean;
  /** The last stderr line of the last step: the best one-line reason a program failed. */
  readonly lastErrorLine: string;
  /** The agent's own line in the output: what it runs next, what it concluded. */
  note(line: string): void;
  run(step: StepSpec): Promise<StepResult>;
  progress(progress: OperationProgressPayload['progress']): void;
  testProgress(payload: TestProgressPayload): void;
}

export interface CommandDefinition {
  run(ctx: CommandContext): Promise<CommandOutcome>;
  /**
   * Finishes the command in a new agent process once the detached step that outlived the previous
   * one has ended. Only commands whose last step is detached have it.
   */
  resume?(ctx: CommandContext, result: StepResult): CommandOutcome;
  /** After it succeeds the agent restarts, so that a new version of itself takes over. */
  restartsAgent?: boolean;
  /** The facts it may change: checked again once it has succeeded and been reported. */
  rechecks?: readonly FreshCheck[];
}

export const ok = (message: string): CommandOutcome => ({ status: 'ok', exit_code: 0, message });
export const failed = (message: string, exitCode: number | null = null): CommandOutcome => ({ status: 'error', exit_code: exitCode, message });
/** Nothing failed, but the admin should look: the dashboard counts it as succeeded and shows the message. */
export const warning = (message: string): CommandOutcome => ({ status: 'warning', exit_code: 0, message });

/** How a program ended, in words, for a status message. */
export function describeEnd(program: string, result: StepResult, lastErrorLine: string): string {
  if (result.error) return result.error;
  const how = result.signal ? `was ended by ${result.signal}` : `exited with code ${result.exitCode ?? '?'}`;
  return lastErrorLine ? `${program} ${how}: ${lastErrorLine}` : `${program} ${how}`;
}

export const succeeded = (result: StepResult): boolean => result.error === null && result.signal === null && result.exitCode === 0;

/** The outcome of a command that is its last program: ok, or an error that says how it ended. */
export function outcomeOf(program: string, result: StepResult, lastErrorLine: string, okMessage: string): CommandOutcome {
  return succeeded(result) ? ok(okMessage) : failed(describeEnd(program, result, lastErrorLine), result.exitCode);
}

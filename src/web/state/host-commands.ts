// Which of a host's commands its row shows. `stop` is a signal the dashboard marks "succeeded" once
// the agent has it: the command it ended reports `stopped`, and that is what the row must say. A
// command still waiting in the queue is listed apart, with its expiry, so it never hides the last run.
import type { Command } from '../../protocol/model.js';
import { INTERRUPT_COMMANDS, isCommandName } from '../../protocol/constants.js';

export interface HostCommands {
  /**
   * The command that last did something on the host: ran, or ended (never a `stop`, never one still
   * queued). By when it ended or started, so a queued command cancelled long ago does not hide a
   * later run of an older one.
   */
  latest: Command | undefined;
  /** Commands waiting for the host, oldest first (the order it will take them in). */
  queued: readonly Command[];
}

export const NO_COMMANDS: HostCommands = { latest: undefined, queued: [] };

/** `stop`: a signal about what runs now, not a job of its own. */
export function isInterrupt(command: Pick<Command, 'command'>): boolean {
  return isCommandName(command.command) && INTERRUPT_COMMANDS.has(command.command);
}

/** Splits one host's commands into what its row shows: the latest one and the queue. */
export function hostCommandsOf(commands: Iterable<Command>): HostCommands {
  let latest: Command | undefined;
  const queued: Command[] = [];
  for (const command of commands) {
    if (isInterrupt(command)) continue;
    if (command.status === 'queued') queued.push(command);
    else if (!latest || lastActivity(latest) <= lastActivity(command)) latest = command;
  }
  if (!latest && queued.length === 0) return NO_COMMANDS;
  queued.sort((a, b) => a.created_at.localeCompare(b.created_at));
  return { latest, queued };
}

/** When the command last changed course; ISO times from the dashboard compare as text. */
function lastActivity(command: Command): string {
  return command.finished_at ?? command.started_at ?? command.created_at;
}

/**
 * The command in the row's command cell: the one the host runs, else its latest. The same command
 * in both is taken from the commands, which hear of its end before the host record does.
 */
export function commandShown(running: Command | null, latest: Command | undefined): Command | undefined {
  if (!running || isInterrupt(running)) return latest;
  return latest?.id === running.id ? latest : running;
}

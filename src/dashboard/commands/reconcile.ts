// Telling whether the command a host was running survived an agent reconnect or a dashboard restart.
//
// A v1 agent says in `register` what it still runs. A v0 agent only says it in the `pending_command`
// of its heartbeats, so for it the first heartbeat after a register decides. A command the agent no
// longer runs, and never reported the end of, is `lost`: the dashboard does not know how it ended.
//
// Unless the agent cannot have started it: then the command goes back to the queue and out again.
// That is the case when the dashboard had not yet sent it (its record was still being written), and,
// for a v1 agent, when the agent does not name it and no line of its output ever came. A v1 agent
// names the command it took until that command's status is confirmed, so a command it took either
// ended with its status on record or is named; what is neither never reached it.
import { RECONNECTING_COMMANDS, isCommandName } from '../../protocol/constants.js';
import type { RunningCommand } from '../../protocol/agent.js';
import type { CommandBook } from './command-book.js';

/** Heartbeats in a row that must say "nothing runs" before a long-running command is given up as lost. */
export const IDLE_HEARTBEATS_BEFORE_LOST = 2;
/** A command younger than this is not judged by heartbeats: the agent may not have received it yet. */
export const HEARTBEAT_SETTLE_MIN_MS = 10_000;

const LOST_AFTER_RECONNECT = 'the agent reconnected without running it and never reported its end';
const LOST_IDLE = 'the agent reports that nothing runs and never reported its end';
const NOT_SENT = 'its agent reconnected before it was sent';
const NOT_RECEIVED = 'its agent reconnected without having received it';

export interface HostCommandWatch {
  /** v0: the next heartbeat decides whether the running command survived the reconnect. */
  awaitingHeartbeat: boolean;
  idleHeartbeats: number;
}

export function newWatch(): HostCommandWatch {
  return { awaitingHeartbeat: false, idleHeartbeats: 0 };
}

/** After a register. `running` is what a v1 agent reported; undefined for v0 agents. */
export function reconcileAfterRegister(
  book: CommandBook,
  hostId: string,
  running: RunningCommand | null | undefined,
  watch: HostCommandWatch,
): void {
  watch.idleHeartbeats = 0;
  watch.awaitingHeartbeat = false;
  let current = book.runningFor(hostId);
  if (current && book.sentAtOf(current) === undefined && running?.command_id !== current.id) {
    book.requeue(current, NOT_SENT);
    current = undefined;
  }
  if (current && isCommandName(current.command) && RECONNECTING_COMMANDS.has(current.command)) {
    // restart and reboot are done exactly when the agent is back.
    book.finish(current, { status: 'succeeded', exit_code: null, message: 'the agent is back' });
    return;
  }
  if (running === undefined) {
    watch.awaitingHeartbeat = current !== undefined;
    return;
  }
  if (current && current.id !== running?.command_id) {
    if (current.output_lines === 0 && current.agent_seq_next === 0) book.requeue(current, NOT_RECEIVED);
    else book.finish(current, { status: 'lost', exit_code: null, message: LOST_AFTER_RECONNECT });
  }
  if (running && running.command_id !== current?.id) {
    // A command given up as lost that the agent says it still runs is running after all.
    const reported = book.get(running.command_id);
    if (reported?.host_id === hostId && reported.status === 'lost') book.revive(reported);
  }
}

/** After a heartbeat that says what the agent runs now. */
export function reconcileWithHeartbeat(
  book: CommandBook,
  hostId: string,
  pendingCommand: string | null,
  heartbeatIntervalS: number,
  watch: HostCommandWatch,
  now = Date.now(),
): void {
  const current = book.runningFor(hostId);
  // A command still on its way to the agent is not judged by what the agent says it runs.
  const sentAt = current ? book.sentAtOf(current) : undefined;
  const awaiting = watch.awaitingHeartbeat;
  watch.awaitingHeartbeat = false;
  if (!current || sentAt === undefined || pendingCommand) {
    watch.idleHeartbeats = 0;
    return;
  }
  if (awaiting) {
    book.finish(current, { status: 'lost', exit_code: null, message: LOST_AFTER_RECONNECT }, now);
    return;
  }
  const settleMs = Math.max(HEARTBEAT_SETTLE_MIN_MS, 2 * heartbeatIntervalS * 1000);
  if (now - sentAt < settleMs) return;
  watch.idleHeartbeats += 1;
  if (watch.idleHeartbeats >= IDLE_HEARTBEATS_BEFORE_LOST) {
    watch.idleHeartbeats = 0;
    book.finish(current, { status: 'lost', exit_code: null, message: LOST_IDLE }, now);
  }
}

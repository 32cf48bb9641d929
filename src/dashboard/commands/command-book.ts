// The command records: the one truth for "is this host busy". A host is busy exactly while one of
// its commands is `running`. Every change is persisted and published as it happens.
import { randomUUID } from 'node:crypto';
import { FINAL_COMMAND_STATUSES, type CommandStatus } from '../../protocol/constants.js';
import type { Command, EventLevel } from '../../protocol/model.js';
import type { CommandRecord, Store } from '../store/store.js';
import type { Fanout } from '../hub/fanout.js';
import type { EventLog } from '../events.js';

/** Finished commands kept in memory and sent in `init`. */
export const RECENT_COMMANDS_KEPT = 100;

export interface Outcome {
  status: Exclude<CommandStatus, 'queued' | 'running'>;
  exit_code: number | null;
  message: string;
  /** The agent refused the command (`command_rejected`): it ended `failed` without running. */
  refused?: boolean;
}

const EVENT_LEVELS: Record<Outcome['status'], EventLevel> = {
  succeeded: 'info',
  cancelled: 'info',
  stopped: 'warn',
  expired: 'warn',
  failed: 'error',
  timed_out: 'error',
  lost: 'error',
};

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A command as browsers see it; a queued one says when it expires (`queueTtlMs` after it was made). */
export function toWireCommand(record: CommandRecord, queueTtlMs: number): Command {
  return {
    id: record.id,
    host_id: record.host_id,
    command: record.command,
    status: record.status,
    exit_code: record.exit_code,
    message: record.message,
    created_at: new Date(record.created_at).toISOString(),
    started_at: iso(record.started_at),
    finished_at: iso(record.finished_at),
    output_lines: record.output_lines,
    expires_at: record.status === 'queued' ? iso(record.created_at + queueTtlMs) : null,
  };
}

export class CommandBook {
  private readonly byId = new Map<string, CommandRecord>();
  private readonly runningByHost = new Map<string, CommandRecord>();
  /** Commands waiting for their host, oldest first. */
  private readonly queuedByHost = new Map<string, CommandRecord[]>();
  private readonly endedListeners: ((record: CommandRecord, outcome: Outcome) => void)[] = [];
  private readonly reopenedListeners: ((record: CommandRecord) => void)[] = [];
  /**
   * When each running command went out to its agent. A command is `running` from the moment its
   * record is written, a little before it is sent; until then it has no entry here.
   */
  private readonly sentAt = new Map<string, number>();
  /** Ids of finished commands in memory, oldest first. */
  private readonly finishedIds: string[] = [];
  /** Told when a host's running command changes, so the host is published again. */
  hostChanged: (hostId: string) => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly fanout: Fanout,
    private readonly events: EventLog,
    records: readonly CommandRecord[],
    /** How long a queued command waits for its host before it expires. */
    readonly queueTtlMs: number,
  ) {
    // Oldest first, so that a newer running command of the same host wins.
    for (const record of [...records].sort((a, b) => a.created_at - b.created_at)) {
      this.byId.set(record.id, record);
      if (record.status === 'running') {
        this.setRunning(record);
        // Whether it reached the agent before the restart is for the agent's next register to tell.
        this.sentAt.set(record.id, record.started_at ?? record.created_at);
      } else if (record.status === 'queued') this.enqueue(record);
      else this.finishedIds.push(record.id);
    }
  }

  /** The command as browsers and the API see it. */
  toWire(record: CommandRecord): Command {
    return toWireCommand(record, this.queueTtlMs);
  }

  /**
   * A command in memory: every queued, running and `lost` one (a late report may still settle it)
   * and the most recent others. What an agent reports is always about one of these.
   */
  get(id: string): CommandRecord | undefined {
    return this.byId.get(id);
  }

  /** Any command, from storage when it is no longer in memory (replays of old output). */
  async find(id: string): Promise<CommandRecord | undefined> {
    return this.byId.get(id) ?? (await this.store.readCommand(id));
  }

  runningFor(hostId: string): CommandRecord | undefined {
    return this.runningByHost.get(hostId);
  }

  /** The host's commands waiting to be sent, oldest first. */
  queuedFor(hostId: string): readonly CommandRecord[] {
    return this.queuedByHost.get(hostId) ?? [];
  }

  /** Every command still queued or running (for timers after a restart). */
  active(): CommandRecord[] {
    return [...this.byId.values()].filter((record) => record.status === 'queued' || record.status === 'running');
  }

  /** Told after a command ended, whatever the reason. */
  onEnded(listener: (record: CommandRecord, outcome: Outcome) => void): void {
    this.endedListeners.push(listener);
  }

  /**
   * Told after a command changed course without ending: a running one went back to its host's
   * queue, or one given up as lost turned out to be running. Its clock is to be set again.
   */
  onReopened(listener: (record: CommandRecord) => void): void {
    this.reopenedListeners.push(listener);
  }

  /** The command went out to its agent. */
  markSent(record: CommandRecord, now = Date.now()): void {
    if (record.status === 'running') this.sentAt.set(record.id, now);
  }

  /** When the running command went out to its agent; undefined while it has not. */
  sentAtOf(record: CommandRecord): number | undefined {
    return this.sentAt.get(record.id);
  }

  /** Running and recent commands, newest first, for `init`. */
  snapshot(): Command[] {
    return [...this.byId.values()].sort((a, b) => b.created_at - a.created_at).map((record) => this.toWire(record));
  }

  create(hostId: string, command: string, now = Date.now()): CommandRecord {
    const record: CommandRecord = {
      id: randomUUID(),
      host_id: hostId,
      command,
      status: 'queued',
      exit_code: null,
      message: '',
      created_at: now,
      started_at: null,
      finished_at: null,
      output_lines: 0,
      agent_seq_next: 0,
    };
    this.byId.set(record.id, record);
    this.enqueue(record);
    this.store.putCommand(record);
    this.fanout.publishState('command_queued', { command: this.toWire(record) });
    return record;
  }

  /** The agent has the command: the host is busy with it until it ends. */
  start(record: CommandRecord, now = Date.now()): void {
    this.dequeue(record);
    record.status = 'running';
    record.started_at ??= now;
    this.setRunning(record);
    this.persistAndPublish(record);
    this.hostChanged(record.host_id);
  }

  /** A command given up as lost that its agent says it runs: it runs, and the agent has had it. */
  revive(record: CommandRecord, now = Date.now()): void {
    if (record.status !== 'lost') return;
    this.start(record, now);
    this.sentAt.set(record.id, record.started_at ?? now);
    for (const listener of this.reopenedListeners) listener(record);
  }

  /**
   * A running command that its agent cannot have started goes back to its host's queue, where its
   * age puts it first, to be sent again. It keeps its id, so whoever follows it loses nothing.
   */
  requeue(record: CommandRecord, why: string): void {
    if (record.status !== 'running') return;
    if (this.runningByHost.get(record.host_id) === record) this.runningByHost.delete(record.host_id);
    this.sentAt.delete(record.id);
    record.status = 'queued';
    record.started_at = null;
    this.enqueue(record);
    this.persistAndPublish(record);
    this.hostChanged(record.host_id);
    this.events.record('warn', `${record.command} on ${record.host_id} goes again: ${why}`, record.host_id);
    for (const listener of this.reopenedListeners) listener(record);
  }

  /**
   * Ends a command. A command that already ended stays as it was (a duplicate or late report changes
   * nothing), except `lost`, which only meant "we do not know": a real report settles it.
   */
  finish(record: CommandRecord, outcome: Outcome, now = Date.now()): boolean {
    if (FINAL_COMMAND_STATUSES.has(record.status)) return false;
    if (record.status === 'lost' && outcome.status === 'lost') return false;
    const wasRunning = this.runningByHost.get(record.host_id) === record;
    this.dequeue(record);
    this.sentAt.delete(record.id);
    record.status = outcome.status;
    record.exit_code = outcome.exit_code;
    record.message = outcome.message;
    record.finished_at = now;
    if (wasRunning) this.runningByHost.delete(record.host_id);
    this.byId.set(record.id, record);
    this.rememberFinished(record.id);
    this.persistAndPublish(record);
    const detail = outcome.message ? `: ${outcome.message}` : '';
    this.events.record(EVENT_LEVELS[outcome.status], `${record.command} on ${record.host_id} ${outcome.status}${detail}`, record.host_id);
    // The listeners first: the host is published once, with what the command's end taught.
    for (const listener of this.endedListeners) listener(record, outcome);
    if (wasRunning) this.hostChanged(record.host_id);
    return true;
  }

  /**
   * The command an agent's report is about: by id (v1), or else the host's running command when the
   * name matches (v0). Undefined when there is none; such a report changes nothing.
   */
  findReported(hostId: string, commandId: string | undefined, name: string | null | undefined): CommandRecord | undefined {
    if (commandId !== undefined) {
      const record = this.get(commandId);
      return record?.host_id === hostId ? record : undefined;
    }
    const running = this.runningFor(hostId);
    return running && (name === undefined || name === null || running.command === name) ? running : undefined;
  }

  private enqueue(record: CommandRecord): void {
    const queue = this.queuedByHost.get(record.host_id) ?? [];
    queue.push(record);
    queue.sort((a, b) => a.created_at - b.created_at);
    this.queuedByHost.set(record.host_id, queue);
  }

  private dequeue(record: CommandRecord): void {
    const queue = this.queuedByHost.get(record.host_id);
    if (!queue) return;
    const rest = queue.filter((queued) => queued !== record);
    if (rest.length > 0) this.queuedByHost.set(record.host_id, rest);
    else this.queuedByHost.delete(record.host_id);
  }

  private setRunning(record: CommandRecord): void {
    const previous = this.runningByHost.get(record.host_id);
    this.runningByHost.set(record.host_id, record);
    // Two running commands for one host cannot both be true; the older one is no longer followed.
    if (previous && previous !== record) {
      this.finish(previous, { status: 'lost', exit_code: null, message: `superseded by ${record.command} ${record.id}` });
    }
  }

  private rememberFinished(id: string): void {
    if (this.finishedIds.includes(id)) return;
    this.finishedIds.push(id);
    while (this.finishedIds.length > RECENT_COMMANDS_KEPT) {
      const evicted = this.finishedIds.shift();
      // A lost command stays: its agent may yet report how it ended.
      if (evicted !== undefined && this.byId.get(evicted)?.status !== 'lost') this.byId.delete(evicted);
    }
  }

  private persistAndPublish(record: CommandRecord): void {
    this.store.putCommand(record);
    this.fanout.publishState('command_update', { command: this.toWire(record) });
  }
}

// Sending commands to hosts: whether a command may go now, the queue of commands waiting for their
// host, and the clocks that keep a host from staying busy forever (timeouts) and a queued command
// from waiting forever (expiry).
import { INTERRUPT_COMMANDS, isCommandName, type CommandName } from '../../protocol/constants.js';
import type { DashboardToAgentMessage } from '../../protocol/agent.js';
import { afterRecorded, type CommandRecord, type Store } from '../store/store.js';
import type { CommandBook } from './command-book.js';
import type { Fleet } from '../fleet/fleet.js';
import type { EventLog } from '../events.js';

/** How long a command may run before the agent is told to stop it and it ends `timed_out`. */
export const DEFAULT_TIMEOUTS_MS: Readonly<Record<CommandName, number>> = {
  pull: 5 * 60_000,
  switch: 30 * 60_000,
  'pull-switch': 35 * 60_000,
  test: 10 * 60_000,
  rollback: 30 * 60_000,
  update: 10 * 60_000,
  stop: 60_000,
  restart: 5 * 60_000,
  reboot: 15 * 60_000,
  'refresh-git': 5 * 60_000,
  'refresh-lock': 5 * 60_000,
  'refresh-system': 10 * 60_000,
  'refresh-all': 15 * 60_000,
  'check-version': 5 * 60_000,
  'force-update': 35 * 60_000,
};

/** After a timeout the agent gets SIGTERM; this long after, SIGKILL. */
export const KILL_GRACE_MS = 30_000;
/** The longest delay a Node timer takes (about 24.8 days); longer clocks are re-armed when they fire. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DispatcherSettings {
  timeoutsMs: Readonly<Record<CommandName, number>>;
  queueTtlMs: number;
}

export interface AgentLink {
  send(message: DashboardToAgentMessage): boolean;
}

export type DispatchResult =
  | { ok: true; command: CommandRecord }
  | { ok: false; httpStatus: 400 | 404 | 409; error: string; message: string };

export class Dispatcher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** The latest delivery of each command waiting for its record to be written; an older one is void. */
  private readonly deliveries = new Map<string, object>();

  constructor(
    private readonly fleet: Fleet,
    private readonly commands: CommandBook,
    private readonly events: EventLog,
    private readonly store: Store,
    /** The connected agent of a host, if any. */
    private readonly agentFor: (hostId: string) => AgentLink | undefined,
    private readonly settings: DispatcherSettings,
  ) {
    commands.onEnded((record) => {
      this.clearTimer(record.id);
      this.deliveries.delete(record.id);
      this.sendNext(record.host_id);
    });
    // Back in the queue, it waits with its expiry clock and goes first when the host can take it;
    // running after all, its time limit counts from when it first started.
    commands.onReopened((record) => {
      this.deliveries.delete(record.id);
      this.arm(record);
    });
    // After a restart the clocks go on from when the commands were made and started.
    for (const record of commands.active()) this.arm(record);
  }

  /** An admin asks for a command. With `queue`, a host that cannot take it now gets it later. */
  request(hostId: string, name: string, options: { queue: boolean; actor: string }): DispatchResult {
    if (!isCommandName(name)) return { ok: false, httpStatus: 400, error: 'unknown_command', message: `unknown command "${name}"` };
    const host = this.fleet.get(hostId);
    if (!host) return { ok: false, httpStatus: 404, error: 'unknown_host', message: `no host "${hostId}"` };
    const interrupt = INTERRUPT_COMMANDS.has(name);
    const agent = host.record.status === 'online' ? this.agentFor(hostId) : undefined;
    const running = this.commands.runningFor(hostId);
    // An interrupt is about what runs now: it is never queued.
    if (!options.queue || interrupt) {
      if (!agent) {
        const why = host.record.status === 'online' ? 'its agent is reconnecting' : 'it is offline';
        return { ok: false, httpStatus: 409, error: 'host_offline', message: `${hostId} cannot take commands: ${why}` };
      }
      if (running && !interrupt) {
        return { ok: false, httpStatus: 409, error: 'host_busy', message: `${hostId} is busy with ${running.command} (${running.id})` };
      }
    }
    const record = this.commands.create(hostId, name);
    const waiting = this.commands.queuedFor(hostId).length > 1 || running !== undefined || !agent;
    const queued = waiting && !interrupt;
    this.events.record('info', `${options.actor} ${queued ? `queued ${name} for` : `sent ${name} to`} ${hostId}`, hostId);
    if (agent && !queued) this.deliver(record, agent);
    else this.arm(record);
    return { ok: true, command: record };
  }

  /** A queued command is withdrawn before it was sent. */
  cancel(id: string, actor: string): DispatchResult {
    const record = this.commands.get(id);
    if (!record) return { ok: false, httpStatus: 404, error: 'unknown_command', message: `no command "${id}"` };
    if (record.status !== 'queued') {
      const hint = record.status === 'running' ? '; send stop to end it' : '';
      return { ok: false, httpStatus: 409, error: 'not_queued', message: `${record.command} ${id} is ${record.status}${hint}` };
    }
    this.commands.finish(record, { status: 'cancelled', exit_code: null, message: `cancelled by ${actor}` });
    return { ok: true, command: record };
  }

  /** The host's agent registered (and what it runs is known): it may take the next queued command. */
  hostReady(hostId: string): void {
    this.sendNext(hostId);
  }

  private sendNext(hostId: string): void {
    if (this.commands.runningFor(hostId)) return;
    const next = this.commands.queuedFor(hostId)[0];
    const host = this.fleet.get(hostId);
    const agent = host?.record.status === 'online' ? this.agentFor(hostId) : undefined;
    if (next && agent) this.deliver(next, agent);
  }

  private deliver(record: CommandRecord, agent: AgentLink): void {
    this.clearTimer(record.id);
    const message: DashboardToAgentMessage = { type: 'command', payload: { command: record.command as CommandName, command_id: record.id } };
    if (isCommandName(record.command) && INTERRUPT_COMMANDS.has(record.command)) {
      // stop is a signal, not a job: done once the agent has it; the command it ends reports `stopped`.
      // It goes at once, so it would overtake a command still waiting for its record to be written:
      // that one is not sent at all.
      const unsent = this.commands.runningFor(record.host_id);
      agent.send(message);
      this.commands.finish(record, { status: 'succeeded', exit_code: null, message: 'delivered to the agent' });
      if (unsent && this.commands.sentAtOf(unsent) === undefined) {
        this.deliveries.delete(unsent.id);
        this.commands.finish(unsent, { status: 'stopped', exit_code: null, message: `stopped by ${record.command} ${record.id} before it was sent` });
      }
      return;
    }
    this.commands.start(record);
    // The host gets the command once its record is on disk: a dashboard that dies in between must
    // not come back knowing nothing of a command a host runs (its output would have nowhere to go).
    // Its time limit counts from then: a slow disk must not use up a command's time before it runs.
    // A command put back in the queue meanwhile (its agent reconnected) goes out on the new socket.
    const delivery = {};
    this.deliveries.set(record.id, delivery);
    afterRecorded(this.store, () => {
      if (this.deliveries.get(record.id) !== delivery) return;
      this.deliveries.delete(record.id);
      if (record.status !== 'running') return;
      if (!agent.send(message)) return this.commands.requeue(record, 'its agent disconnected before it was sent');
      this.commands.markSent(record);
      this.arm(record, Date.now(), Date.now());
    });
  }

  /**
   * Sets the clock of a queued (expiry) or running (timeout) command. A running command's limit
   * counts from `sentAt`, or from when it started when that is not known (after a restart).
   */
  private arm(record: CommandRecord, now = Date.now(), sentAt = record.started_at ?? now): void {
    this.clearTimer(record.id);
    if (record.status === 'queued') {
      this.setTimer(record.id, record.created_at + this.settings.queueTtlMs - now, () => {
        const ttl = Math.round(this.settings.queueTtlMs / 60_000);
        this.commands.finish(record, { status: 'expired', exit_code: null, message: `not sent within ${ttl} min` });
      });
    } else if (record.status === 'running') {
      const limitMs = isCommandName(record.command) ? this.settings.timeoutsMs[record.command] : DEFAULT_TIMEOUTS_MS.switch;
      this.setTimer(record.id, sentAt + limitMs - now, () => this.timeOut(record, limitMs));
    }
  }

  private timeOut(record: CommandRecord, limitMs: number): void {
    const agent = this.agentFor(record.host_id);
    const kill = (signal: 'SIGTERM' | 'SIGKILL') => agent?.send({ type: 'kill_command', payload: { signal, pid: 0, command_id: record.id } });
    kill('SIGTERM');
    const minutes = Math.round(limitMs / 60_000);
    const told = agent ? 'the agent was told to stop it' : 'its agent is not connected';
    this.commands.finish(record, { status: 'timed_out', exit_code: null, message: `no result within ${minutes} min; ${told}` });
    if (agent) setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS).unref();
  }

  private setTimer(id: string, delayMs: number, run: () => void): void {
    const due = Date.now() + delayMs;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      if (Date.now() < due) this.setTimer(id, due - Date.now(), run);
      else run();
    }, Math.min(MAX_TIMER_MS, Math.max(0, delayMs)));
    timer.unref();
    this.timers.set(id, timer);
  }

  private clearTimer(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

// The rollouts: started, moved on by the end of each of their commands, paused, resumed, cancelled,
// and carried across restarts. What moves a rollout is decided by rules.ts; this file sends its
// commands (through the dispatcher, so they queue behind what a host runs), keeps every change on disk
// in the same write as the command it sent, and tells browsers.
import { randomUUID } from 'node:crypto';
import { FINAL_COMMAND_STATUSES } from '../../protocol/constants.js';
import { describeStrategy, FINAL_ROLLOUT_STATUSES, isHostDone, type CreateRolloutBody, type Rollout, type RolloutHost } from '../../protocol/rollout.js';
import type { Store } from '../store/store.js';
import type { Fanout } from '../hub/fanout.js';
import type { EventLog } from '../events.js';
import type { CommandBook } from '../commands/command-book.js';
import type { Dispatcher } from '../commands/dispatcher.js';
import type { Fleet } from '../fleet/fleet.js';
import { advance, cancel, commandsOf, findCommand, hasRunningStep, stepEnded, stepRefused, type HostAvailability } from './rules.js';
import { newRollout, planRollout } from './plan.js';
import { RolloutPublisher } from './rollout-publisher.js';

/** Finished rollouts kept in memory and sent in `init`. */
export const RECENT_ROLLOUTS_KEPT = 20;
export interface RolloutParts {
  store: Store;
  fanout: Fanout;
  events: EventLog;
  commands: CommandBook;
  dispatcher: Dispatcher;
  fleet: Fleet;
}

export type RolloutResult =
  | { ok: true; rollout: Rollout }
  | { ok: false; httpStatus: 400 | 404 | 409; error: string; message: string; field?: string };


export class RolloutBook {
  private readonly byId = new Map<string, Rollout>();
  /** Which unfinished rollout each command belongs to. */
  private readonly byCommand = new Map<string, string>();
  private readonly publisher: RolloutPublisher;

  constructor(
    private readonly parts: RolloutParts,
    records: readonly Rollout[],
  ) {
    this.publisher = new RolloutPublisher(parts.fanout);
    for (const rollout of records) this.remember(rollout);
    parts.commands.onEnded((command, outcome) => this.commandEnded(command.id, command.status, command.message, outcome.refused === true));
    parts.commands.onReopened((command) => this.commandReopened(command.id, command.status));
  }

  /**
   * After a restart: a step whose command ended while the dashboard was down takes its outcome now,
   * then every unfinished rollout moves on. A step whose command is still running waits for it, as
   * the command book reconciles it with its agent; no step is ever sent twice.
   */
  async resumeAfterRestart(): Promise<void> {
    for (const rollout of this.unfinished()) {
      for (const host of rollout.hosts) {
        for (const step of commandsOf(host)) {
          if (step.state !== 'running' || step.command_id === null) continue;
          const command = await this.parts.commands.find(step.command_id);
          if (!command) stepEnded(rollout, step.command_id, 'lost', 'its command is no longer known');
          else if (FINAL_COMMAND_STATUSES.has(command.status) || command.status === 'lost') stepEnded(rollout, command.id, command.status, command.message);
        }
      }
      this.move(rollout);
    }
  }

  /** A rollout in memory: every unfinished one and the most recent others. */
  get(id: string): Rollout | undefined {
    return this.byId.get(id);
  }

  async find(id: string): Promise<Rollout | undefined> {
    const kept = this.byId.get(id);
    if (kept) return kept;
    // One let go just now may still be on its way to storage.
    await this.parts.store.flush();
    return this.parts.store.readRollout(id);
  }

  /** Unfinished ones and the most recent others, newest first (for `init`). */
  snapshot(): Rollout[] {
    return [...this.byId.values()].sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** The most recent rollouts, newest first, from storage; with `before`, the ones older than it. */
  async list(limit: number, before?: Rollout): Promise<Rollout[]> {
    await this.parts.store.flush();
    return this.parts.store.readRollouts(limit, before);
  }

  start(body: CreateRolloutBody, actor: string, now = Date.now()): RolloutResult {
    const candidates = this.parts.fleet.list().map((entry) => ({
      id: entry.record.id,
      tags: entry.record.tags,
      agent_tags: entry.record.agent_tags,
      behind: entry.record.compartments?.git.status === 'outdated',
    }));
    const planned = planRollout(body, candidates);
    if (!planned.ok) return { ok: false, httpStatus: 400, error: 'bad_request', message: `${planned.field}: ${planned.message}`, field: planned.field };
    const { plan } = planned;
    const taken = this.hostsTaken();
    const busy = plan.hostIds.find((id) => taken.has(id));
    if (busy !== undefined) {
      const other = taken.get(busy);
      return { ok: false, httpStatus: 409, error: 'host_in_rollout', message: `${busy} is taken by rollout ${other}; wait for it or cancel it` };
    }
    const rollout = newRollout(plan, randomUUID(), actor, now);
    this.remember(rollout);
    const what = plan.preset ?? plan.steps.join(', ');
    this.parts.events.record('info', `${actor} started rollout ${rollout.id} (${what}) on ${plan.target}: ${plan.hostIds.length} hosts; ${describeStrategy(plan.strategy)}`);
    this.move(rollout, now);
    return { ok: true, rollout };
  }

  pause(id: string, actor: string): RolloutResult {
    return this.change(id, actor, 'paused', (rollout) => rollout.status === 'running', () => 'it is not running');
  }

  resume(id: string, actor: string): RolloutResult {
    return this.change(id, actor, 'running', (rollout) => rollout.status === 'paused', () => 'it is not paused');
  }

  cancelRollout(id: string, actor: string): RolloutResult {
    const rollout = this.byId.get(id);
    // Unfinished rollouts are all in memory: one that is not has ended (the routes answer 404 for none).
    if (!rollout) return this.finished(id);
    if (FINAL_ROLLOUT_STATUSES.has(rollout.status)) return this.finished(id);
    // Steps whose commands wait in a queue are withdrawn; a command that runs is left to finish.
    const queued = this.queuedCommands(rollout.hosts);
    cancel(rollout, Date.now());
    for (const commandId of queued) this.parts.dispatcher.cancel(commandId, `rollout ${id} cancelled by ${actor}`);
    this.parts.events.record('warn', `${actor} cancelled rollout ${id}`);
    this.save(rollout);
    return { ok: true, rollout };
  }

  private change(id: string, actor: string, to: 'paused' | 'running', allowed: (r: Rollout) => boolean, why: (r: Rollout) => string): RolloutResult {
    const rollout = this.byId.get(id);
    // Unfinished rollouts are all in memory: one that is not has ended (the routes answer 404 for none).
    if (!rollout) return this.finished(id);
    if (!allowed(rollout)) return { ok: false, httpStatus: 409, error: 'rollout_state', message: `rollout ${id} is ${rollout.status}: ${why(rollout)}` };
    rollout.status = to;
    this.parts.events.record('info', `${actor} ${to === 'paused' ? 'paused' : 'resumed'} rollout ${id}`);
    this.move(rollout);
    return { ok: true, rollout };
  }

  private finished(id: string): RolloutResult {
    return { ok: false, httpStatus: 409, error: 'rollout_state', message: `rollout ${id} has ended` };
  }

  /**
   * The host was removed (DELETE /api/hosts/:id): the steps of rollouts that wait for it in its queue
   * are withdrawn, which takes the host out of those rollouts (a step that runs ends `lost`).
   */
  hostRemoved(hostId: string, actor: string): void {
    for (const rollout of this.unfinished()) {
      const queued = this.queuedCommands(rollout.hosts.filter((host) => host.host_id === hostId));
      for (const commandId of queued) this.parts.dispatcher.cancel(commandId, `${actor}, who removed ${hostId}`);
    }
  }

  /** The commands of these hosts' steps that still wait in a queue. */
  private queuedCommands(hosts: readonly RolloutHost[]): string[] {
    return hosts
      .flatMap((host) => commandsOf(host))
      .flatMap(({ state, command_id: id }) => (state === 'running' && id !== null && this.parts.commands.get(id)?.status === 'queued' ? [id] : []));
  }

  private commandEnded(commandId: string, status: Parameters<typeof stepEnded>[2], message: string, refused: boolean): void {
    const rollout = this.rolloutOf(commandId);
    if (!rollout) return;
    const found = findCommand(rollout, commandId);
    if (!stepEnded(rollout, commandId, status, message, refused)) return;
    if (found && (found.host.state === 'failed' || found.host.state === 'rolled_back')) {
      const what = found.isRollback ? 'its rollback' : found.step.command;
      this.parts.events.record(found.host.state === 'failed' ? 'error' : 'warn', `rollout ${rollout.id}: ${found.host.host_id} ${found.host.state.replace('_', ' ')} (${what}: ${status}${message ? `, ${message}` : ''})`, found.host.host_id);
    }
    this.move(rollout);
  }

  /**
   * A step's command is back in its host's queue (its agent never had it). A rollout cancelled since
   * withdraws it, as it withdrew its queued commands when it was cancelled.
   */
  private commandReopened(commandId: string, status: string): void {
    const rollout = this.rolloutOf(commandId);
    if (status === 'queued' && rollout?.status === 'cancelled') this.parts.dispatcher.cancel(commandId, `rollout ${rollout.id}, cancelled`);
  }

  private rolloutOf(commandId: string): Rollout | undefined {
    const rolloutId = this.byCommand.get(commandId);
    return rolloutId === undefined ? undefined : this.byId.get(rolloutId);
  }

  /** Applies the rules, sends what they ask for, and keeps and publishes the result. */
  private move(rollout: Rollout, now = Date.now()): void {
    const wasFinal = FINAL_ROLLOUT_STATUSES.has(rollout.status);
    // A step the dispatcher refuses fails its host at once, which may free a place or halt: look again.
    for (let refused = true; refused; ) {
      refused = false;
      for (const { host, step } of advance(rollout, (hostId) => this.availability(hostId), now)) {
        const result = this.parts.dispatcher.request(host.host_id, step.command, { queue: true, actor: `rollout ${rollout.id}` });
        if (result.ok) {
          step.command_id = result.command.id;
          this.byCommand.set(result.command.id, rollout.id);
        } else {
          stepRefused(rollout, host, step, result.message);
          refused = true;
        }
      }
    }
    if (!wasFinal && FINAL_ROLLOUT_STATUSES.has(rollout.status) && rollout.status !== 'cancelled') {
      const level = rollout.status === 'succeeded' ? 'info' : 'error';
      this.parts.events.record(level, `rollout ${rollout.id} ${rollout.status}: ${rollout.message}`);
    }
    this.save(rollout);
  }

  private availability(hostId: string): HostAvailability {
    const entry = this.parts.fleet.get(hostId);
    return { exists: entry !== undefined, online: entry?.record.status === 'online' };
  }

  /** Written in the same batch as the commands it just sent; browsers hear of it within the publish interval. */
  private save(rollout: Rollout): void {
    rollout.revision += 1;
    this.parts.store.putRollout(rollout);
    this.publisher.changed(rollout);
    if (FINAL_ROLLOUT_STATUSES.has(rollout.status)) this.forgetFinished();
  }

  /** Publishes what waits (shutdown). */
  stop(): void {
    this.publisher.flush((id) => this.byId.get(id));
  }

  private remember(rollout: Rollout): void {
    this.byId.set(rollout.id, rollout);
    for (const host of rollout.hosts) {
      for (const step of commandsOf(host)) {
        if (step.command_id !== null) this.byCommand.set(step.command_id, rollout.id);
      }
    }
  }

  private unfinished(): Rollout[] {
    return [...this.byId.values()].filter((rollout) => !FINAL_ROLLOUT_STATUSES.has(rollout.status));
  }

  /** Hosts of unfinished rollouts, with the rollout that has each. */
  private hostsTaken(): Map<string, string> {
    const taken = new Map<string, string>();
    for (const rollout of this.unfinished()) {
      for (const host of rollout.hosts) if (!isHostDone(host)) taken.set(host.host_id, rollout.id);
    }
    return taken;
  }

  /**
   * Keeps every unfinished rollout and the most recent finished ones in memory, and a cancelled one
   * until the step it left to finish has ended.
   */
  private forgetFinished(): void {
    const finished = this.snapshot().filter((rollout) => FINAL_ROLLOUT_STATUSES.has(rollout.status) && !hasRunningStep(rollout));
    for (const rollout of finished.slice(RECENT_ROLLOUTS_KEPT)) {
      this.byId.delete(rollout.id);
      this.publisher.forget(rollout);
      for (const [commandId, rolloutId] of this.byCommand) if (rolloutId === rollout.id) this.byCommand.delete(commandId);
    }
  }
}

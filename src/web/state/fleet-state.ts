// The fleet as this browser knows it: hosts, commands, progress, the desired state and the rollouts, kept in step
// with the dashboard by the versioned messages of docs/protocol.md. A version that skips a number
// means something was missed, so the state is read again rather than patched.
import type { Command, DesiredState, Host } from '../../protocol/model.js';
import type { InitPayload, VersionedBrowserMessage } from '../../protocol/browser.js';
import type { OperationProgressPayload, TestProgressPayload } from '../../protocol/agent.js';
import { isActiveStatus } from '../../protocol/constants.js';
import { Observable } from './observable.js';
import { hostCommandsOf, NO_COMMANDS, type HostCommands } from './host-commands.js';
import { RolloutRecords } from './rollout-records.js';

/** What applying a versioned message did: `gap` means the state must be read again (get_state). */
export type VersionVerdict = 'applied' | 'stale' | 'gap';

export interface HostProgress {
  operation?: OperationProgressPayload['progress'];
  test?: TestProgressPayload;
}

/** Finished commands remembered for the table and the tabs; older ones are still on the dashboard. */
const FINISHED_COMMANDS_KEPT = 500;

export class FleetState extends Observable {
  readonly hosts = new Map<string, Host>();
  readonly commands = new Map<string, Command>();
  readonly progress = new Map<string, HostProgress>();
  /** What the fleet repository says every host should run; null until `init`. */
  desired: DesiredState | null = null;
  /**
   * The rollouts, a store of their own: they change with every step of every host, and only the
   * rollout panel reads them, so a change there does not redraw the fleet table.
   */
  readonly rollouts = new RolloutRecords();
  /** Each host's remembered commands, by id. */
  private readonly byHost = new Map<string, Map<string, Command>>();
  /** What each host's row shows of them; a host's object is replaced only when its commands change. */
  private readonly views = new Map<string, HostCommands>();
  /** The version of the last applied change; null until `init`, and again while waiting for one. */
  private version: number | null = null;

  get currentVersion(): number | null {
    return this.version;
  }

  get hasState(): boolean {
    return this.version !== null;
  }

  /** The host's latest command (never a `stop`) and its queue; the same object until they change. */
  commandsOf(hostId: string): HostCommands {
    return this.views.get(hostId) ?? NO_COMMANDS;
  }

  /** Replaces everything with a fresh `init`. Host objects that did not change keep their identity. */
  reset(init: InitPayload): void {
    const previous = new Map(this.hosts);
    this.hosts.clear();
    for (const host of init.hosts) {
      const old = previous.get(host.id);
      this.hosts.set(host.id, old && sameJson(old, host) ? old : host);
    }
    this.commands.clear();
    this.byHost.clear();
    // init lists newest first; filing oldest first keeps the commands map in age order (see forgetOldCommands).
    for (const command of [...init.commands].reverse()) this.file(command);
    const previousViews = new Map(this.views);
    this.views.clear();
    for (const hostId of this.byHost.keys()) {
      const view = this.viewOf(hostId);
      const old = previousViews.get(hostId);
      this.views.set(hostId, old && sameJson(old, view) ? old : view);
    }
    this.desired = init.desired;
    this.rollouts.reset(init.rollouts);
    for (const hostId of [...this.progress.keys()]) {
      if (!this.hosts.get(hostId)?.running_command) this.progress.delete(hostId);
    }
    this.version = init.version;
    this.changed();
  }

  /** Applies a versioned change if it is the next one. */
  apply(message: VersionedBrowserMessage): VersionVerdict {
    if (this.version === null || message.version <= this.version) return 'stale';
    if (message.version !== this.version + 1) {
      this.version = null;
      return 'gap';
    }
    this.version = message.version;
    switch (message.type) {
      case 'host_update':
        this.hosts.set(message.payload.host.id, message.payload.host);
        if (!message.payload.host.running_command) this.progress.delete(message.payload.host.id);
        break;
      case 'host_removed':
        this.hosts.delete(message.payload.host_id);
        this.progress.delete(message.payload.host_id);
        break;
      case 'command_queued':
      case 'command_update':
        this.rememberCommand(message.payload.command);
        break;
      case 'desired_update':
        this.desired = message.payload.desired;
        break;
      case 'rollout_update':
        // Only the rollouts' own subscribers hear of it. A delta for a rollout the page does not
        // have means a change was missed after all: read the state again.
        if (this.rollouts.update(message.payload.rollout, message.payload.delta)) return 'applied';
        this.version = null;
        return 'gap';
    }
    this.changed();
    return 'applied';
  }

  setOperationProgress(hostId: string, progress: OperationProgressPayload['progress']): void {
    this.progress.set(hostId, { ...this.progress.get(hostId), operation: progress });
    this.changed();
  }

  setTestProgress(hostId: string, test: TestProgressPayload): void {
    this.progress.set(hostId, { ...this.progress.get(hostId), test });
    this.changed();
  }

  private rememberCommand(command: Command): void {
    this.file(command);
    const old = this.views.get(command.host_id);
    const next = this.viewOf(command.host_id);
    if (!old || !sameView(old, next)) this.views.set(command.host_id, next);
    if (!isActiveStatus(command.status)) this.forgetOldCommands();
  }

  private file(command: Command): void {
    this.commands.set(command.id, command);
    let own = this.byHost.get(command.host_id);
    if (!own) this.byHost.set(command.host_id, (own = new Map()));
    own.set(command.id, command);
  }

  private viewOf(hostId: string): HostCommands {
    return hostCommandsOf(this.byHost.get(hostId)?.values() ?? []);
  }

  private forgetOldCommands(): void {
    if (this.commands.size <= FINISHED_COMMANDS_KEPT) return;
    // Map order is insertion order: the oldest remembered commands come first.
    for (const [id, command] of this.commands) {
      if (this.commands.size <= FINISHED_COMMANDS_KEPT) break;
      if (isActiveStatus(command.status) || this.views.get(command.host_id)?.latest?.id === id) continue;
      this.commands.delete(id);
      this.byHost.get(command.host_id)?.delete(id);
    }
  }
}

/** The same commands (by identity): the row has nothing new to show. */
function sameView(a: HostCommands, b: HostCommands): boolean {
  return a.latest === b.latest && a.queued.length === b.queued.length && a.queued.every((command, i) => command === b.queued[i]);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

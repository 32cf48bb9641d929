// The fleet as this browser knows it: hosts, commands and progress, kept in step with the dashboard
// by the versioned messages of PROTOCOL.md section 5. A version that skips a number means something
// was missed, so the state is read again rather than patched.
import type { Command, Host } from '../../protocol/model.js';
import type { InitPayload, VersionedBrowserMessage } from '../../protocol/browser.js';
import type { OperationProgressPayload, TestProgressPayload } from '../../protocol/agent.js';
import { isActiveStatus } from '../../protocol/constants.js';
import { Observable } from './observable.js';

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
  /** The newest command of each host, running or not. */
  private readonly latestByHost = new Map<string, Command>();
  /** The version of the last applied change; null until `init`, and again while waiting for one. */
  private version: number | null = null;

  get currentVersion(): number | null {
    return this.version;
  }

  get hasState(): boolean {
    return this.version !== null;
  }

  latestCommandOf(hostId: string): Command | undefined {
    return this.latestByHost.get(hostId);
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
    this.latestByHost.clear();
    // init lists newest first; remembering oldest first leaves the newest as each host's latest.
    for (const command of [...init.commands].reverse()) this.rememberCommand(command);
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
    this.commands.set(command.id, command);
    const latest = this.latestByHost.get(command.host_id);
    if (!latest || latest.id === command.id || latest.created_at <= command.created_at) {
      this.latestByHost.set(command.host_id, command);
    }
    if (!isActiveStatus(command.status)) this.forgetOldCommands();
  }

  private forgetOldCommands(): void {
    if (this.commands.size <= FINISHED_COMMANDS_KEPT) return;
    // Map order is insertion order: the oldest remembered commands come first.
    for (const [id, command] of this.commands) {
      if (this.commands.size <= FINISHED_COMMANDS_KEPT) break;
      if (isActiveStatus(command.status) || this.latestByHost.get(command.host_id)?.id === id) continue;
      this.commands.delete(id);
    }
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

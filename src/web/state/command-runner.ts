// Running a command on one host or many: the confirmation for disruptive ones, the requests, a tab
// for each command that was queued and a notice for each host that refused (409 says why).
import { networkRefusal, type DashboardApi, type DispatchOutcome } from '../net/api.js';
import type { HostAction } from './host-actions.js';
import type { Notices } from './notices.js';
import type { OutputTabs } from './output-tabs.js';
import { Cell } from './observable.js';

export interface PendingAction {
  action: HostAction;
  hostIds: readonly string[];
}

export class CommandRunner {
  /** The action waiting for the admin's confirmation, if any. */
  readonly pending = new Cell<PendingAction | null>(null);

  constructor(
    private readonly api: DashboardApi,
    private readonly tabs: OutputTabs,
    private readonly notices: Notices,
  ) {}

  request(action: HostAction, hostIds: readonly string[]): void {
    if (hostIds.length === 0) return;
    if (action.disrupts !== null) this.pending.set({ action, hostIds });
    else void this.run(action, hostIds);
  }

  confirm(): void {
    const pending = this.pending.value;
    this.pending.set(null);
    if (pending) void this.run(pending.action, pending.hostIds);
  }

  cancel(): void {
    this.pending.set(null);
  }

  private async run(action: HostAction, hostIds: readonly string[]): Promise<void> {
    const outcomes = await Promise.all(hostIds.map((hostId) => this.dispatch(hostId, action)));
    let shown = false;
    outcomes.forEach((outcome, i) => {
      const hostId = hostIds[i] ?? '';
      if (!outcome.ok) {
        this.notices.add('error', `${action.label} refused for ${hostId}: ${outcome.message}`);
      } else if (action.opensOutput) {
        this.tabs.open(outcome.commandId, !shown);
        shown = true;
      } else {
        this.notices.add('info', `${action.label} sent to ${hostId}.`);
      }
    });
  }

  private async dispatch(hostId: string, action: HostAction): Promise<DispatchOutcome> {
    try {
      return await this.api.dispatch(hostId, action.command);
    } catch (error) {
      return networkRefusal(error);
    }
  }
}

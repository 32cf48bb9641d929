// Running a command on one host or many: the confirmation for disruptive ones, the requests, a tab
// for each command that was queued and a notice for each host that refused (409 says why). A host
// that cannot take it now (offline, busy) is offered the queue: confirmed, the command is sent again
// with `queue: true` and waits for that host until it expires. A queued command can be cancelled.
import type { Command } from '../../protocol/model.js';
import { attempt, type DashboardApi, type Refusal } from '../net/api.js';
import type { HostAction } from './host-actions.js';
import { isInterrupt } from './host-commands.js';
import type { Notices } from './notices.js';
import { Cell } from './observable.js';

/**
 * What waits for the admin's answer: a disruptive command to confirm, or a command the hosts could
 * not take now, to queue for them (with the dashboard's reason for each).
 */
export type PendingAction =
  | { kind: 'confirm'; action: HostAction; hostIds: readonly string[] }
  | { kind: 'queue'; action: HostAction; hostIds: readonly string[]; reasons: readonly string[] };

/** Refusals that mean "not now": the dashboard would keep the command until the host can take it. */
const QUEUEABLE_REFUSALS: ReadonlySet<string> = new Set(['host_offline', 'host_busy']);

export type RunnerApi = Pick<DashboardApi, 'dispatch' | 'cancelCommand'>;

/** Where a dispatched command's output is shown (OutputTabs). */
export interface OutputOpener {
  open(commandId: string, show?: boolean): void;
}

export class CommandRunner {
  /** The action waiting for the admin's answer, if any. */
  readonly pending = new Cell<PendingAction | null>(null);

  constructor(
    private readonly api: RunnerApi,
    private readonly tabs: OutputOpener,
    private readonly notices: Pick<Notices, 'add'>,
  ) {}

  request(action: HostAction, hostIds: readonly string[]): void {
    if (hostIds.length === 0) return;
    if (action.disrupts !== null) this.pending.set({ kind: 'confirm', action, hostIds });
    else void this.run(action, hostIds, false);
  }

  /**
   * The admin's yes to `answered`, the question they saw. Another question may have come since (a
   * confirmed command a host refused, offered the queue) and not be drawn yet: it is not answered.
   */
  confirm(answered: PendingAction): void {
    const pending = this.pending.value;
    if (pending !== answered) return;
    this.pending.set(null);
    void this.run(pending.action, pending.hostIds, pending.kind === 'queue');
  }

  cancel(): void {
    this.pending.set(null);
  }

  /** Withdraws a queued command (DELETE /api/commands/:id); its row changes with the dashboard's update. */
  async cancelQueued(command: Command): Promise<void> {
    const outcome = await attempt(() => this.api.cancelCommand(command.id));
    if (outcome.ok) this.notices.add('info', `${command.command} for ${command.host_id} was cancelled.`);
    else this.notices.add('error', `Cancelling ${command.command} for ${command.host_id} failed: ${outcome.message}`);
  }

  private async run(action: HostAction, hostIds: readonly string[], queue: boolean): Promise<void> {
    const outcomes = await Promise.all(hostIds.map((hostId) => attempt(() => this.api.dispatch(hostId, action.command, queue))));
    const notNow: { hostId: string; refusal: Refusal }[] = [];
    let shown = false;
    outcomes.forEach((outcome, i) => {
      const hostId = hostIds[i] ?? '';
      if (!outcome.ok) {
        if (this.mayQueue(action, outcome, queue)) notNow.push({ hostId, refusal: outcome });
        else this.notices.add('error', `${action.label} refused for ${hostId}: ${outcome.message}`);
      } else if (queue) {
        this.notices.add('info', `${action.label} queued for ${hostId}: it runs when the host can take it.`);
      } else if (action.opensOutput) {
        this.tabs.open(outcome.commandId, !shown);
        shown = true;
      } else {
        this.notices.add('info', `${action.label} sent to ${hostId}.`);
      }
    });
    if (notNow.length === 0) return;
    if (this.pending.value !== null) {
      // The admin is answering another question: this one becomes notices rather than replace it.
      for (const { hostId, refusal } of notNow) this.notices.add('error', `${action.label} refused for ${hostId}: ${refusal.message}`);
      return;
    }
    this.pending.set({
      kind: 'queue',
      action,
      hostIds: notNow.map((n) => n.hostId),
      reasons: notNow.map((n) => n.refusal.message),
    });
  }

  /** A stop is about what runs now, so it is never queued (the dashboard refuses that too). */
  private mayQueue(action: HostAction, refusal: Refusal, queued: boolean): boolean {
    return !queued && !isInterrupt(action) && QUEUEABLE_REFUSALS.has(refusal.error);
  }
}

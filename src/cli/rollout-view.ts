// One rollout as it changes: whole records (from the API or `init`) and `rollout_update` messages
// merged into the latest state, and what changed between two states, in words, for a log.
// A `delta` update carries every field of the rollout but only the hosts that changed since the
// previous update (docs/protocol.md, "Dashboard → browser"); they are merged by host_id.
import { FINAL_ROLLOUT_STATUSES } from '../protocol/rollout-rules.js';
import type { Rollout, RolloutHost, RolloutStep } from '../protocol/rollout.js';

export function isRolloutOver(rollout: Pick<Rollout, 'status'>): boolean {
  return FINAL_ROLLOUT_STATUSES.has(rollout.status);
}

/** `update` applied to `base`: whole, or its hosts merged by host_id into base's. */
export function mergeRollout(base: Rollout, update: Rollout, delta: boolean): Rollout {
  if (!delta) return update;
  const changed = new Map(update.hosts.map((host) => [host.host_id, host]));
  const hosts = base.hosts.map((host) => changed.get(host.host_id) ?? host);
  for (const host of update.hosts) if (!base.hosts.some((known) => known.host_id === host.host_id)) hosts.push(host);
  return { ...update, hosts };
}

/**
 * The latest state of one rollout. Updates that come before a whole record (the socket is opened
 * before the rollout is started) wait for it; any record not newer than the state (by `revision`)
 * is old news.
 */
export class RolloutView {
  private state: Rollout | null = null;
  private readonly early: { rollout: Rollout; delta: boolean }[] = [];

  constructor(readonly id: string) {}

  get current(): Rollout | null {
    return this.state;
  }

  /** A whole record; answers the new state when it changed. */
  whole(rollout: Rollout): Rollout | null {
    if (rollout.id !== this.id) return null;
    const before = this.state;
    if (!before || rollout.revision > before.revision) this.state = rollout;
    for (const update of this.early.splice(0)) this.apply(update.rollout, update.delta);
    return this.state === before ? null : this.state;
  }

  /** A `rollout_update`; answers the new state when it changed. */
  update(rollout: Rollout, delta: boolean): Rollout | null {
    if (rollout.id !== this.id) return null;
    if (!this.state && delta) {
      this.early.push({ rollout, delta });
      return null;
    }
    const before = this.state;
    this.apply(rollout, delta);
    return this.state === before ? null : this.state;
  }

  private apply(rollout: Rollout, delta: boolean): void {
    const state = this.state;
    if (!state) {
      if (!delta) this.state = rollout;
      return;
    }
    if (rollout.revision <= state.revision) return;
    this.state = mergeRollout(state, rollout, delta);
  }
}

/** Host states after which a host does nothing more, said once for the host rather than per step. */
const HOST_ENDS = new Set(['succeeded', 'failed', 'skipped', 'rolled_back', 'cancelled']);
/** Step states worth a line of their own: a step that is skipped or cancelled is said by its host's line. */
const STEP_LINES = new Set(['running', 'succeeded', 'failed']);

function stepLine(hostId: string, step: RolloutStep, label = step.command): string {
  const id = step.state === 'running' && step.command_id ? ` (output: nixfleet output ${step.command_id})` : '';
  const message = step.state === 'failed' && step.message ? `: ${step.message}` : '';
  return `${hostId}  ${label} ${step.state}${message}${id}`;
}

function hostChanges(before: RolloutHost | undefined, after: RolloutHost): string[] {
  const lines: string[] = [];
  after.steps.forEach((step, i) => {
    if (step.state !== before?.steps[i]?.state && STEP_LINES.has(step.state)) lines.push(stepLine(after.host_id, step));
  });
  if (after.rollback && after.rollback.state !== before?.rollback?.state && STEP_LINES.has(after.rollback.state)) {
    lines.push(stepLine(after.host_id, after.rollback, 'rollback'));
  }
  if (after.state !== before?.state && HOST_ENDS.has(after.state)) lines.push(`${after.host_id}  ${after.state.replace('_', ' ')}`);
  return lines;
}

/** What happened between two states of a rollout, one line per step that started or ended. */
export function describeChanges(before: Rollout | null, after: Rollout): string[] {
  const lines: string[] = [];
  const message = after.message && after.message !== after.status ? `: ${after.message}` : '';
  if (before && before.status !== after.status && !isRolloutOver(after)) lines.push(`rollout ${after.status}${message}`);
  else if (before && after.message !== before.message && after.message && !isRolloutOver(after)) lines.push(`rollout: ${after.message}`);
  const previous = new Map((before?.hosts ?? []).map((host) => [host.host_id, host]));
  for (const host of after.hosts) lines.push(...hostChanges(previous.get(host.host_id), host));
  return lines;
}

// How a rollout moves: which host starts next, which step follows, when it halts and how it ends.
// Plain functions over the rollout record (they change it and say what to send); the rollout book
// does the I/O around them. test/dashboard/rollouts/rules.test.ts is their specification.
import type { CommandStatus } from '../../protocol/constants.js';
import { isHostDone, type Rollout, type RolloutHost, type RolloutStep, type StepState } from '../../protocol/rollout.js';

/** Whether a host can take a command now. */
export interface HostAvailability {
  exists: boolean;
  online: boolean;
}

/** A step to send: its command goes to the host (queued behind whatever the host runs now). */
export interface StepDispatch {
  host: RolloutHost;
  step: RolloutStep;
}

/** A failed step of one of these gets the automatic rollback, when the rollout asks for it. */
export const ROLLBACK_AFTER: ReadonlySet<string> = new Set(['switch', 'pull-switch', 'force-update', 'test']);


/** Whether a command of the rollout may still be running (a step or a rollback): it has not settled. */
export function hasRunningStep(rollout: Rollout): boolean {
  return rollout.hosts.some((host) => host.steps.some((step) => step.state === 'running') || host.rollback?.state === 'running');
}

/** A host takes a place in its batch from its first step until it and its rollback are done. */
const inFlight = (host: RolloutHost): boolean => host.state !== 'pending' && !isHostDone(host);

/** The failures that end a rollout early: one more than tolerated, or any canary. */
export function haltReason(rollout: Rollout): string | null {
  const canary = rollout.hosts.find((host) => host.canary && (host.state === 'failed' || host.state === 'rolled_back'));
  if (canary) return `canary ${canary.host_id} failed`;
  // A canary that never ran proved nothing: the others do not go on its word.
  const absent = rollout.hosts.find((host) => host.canary && host.state === 'skipped');
  if (absent) return `canary ${absent.host_id} was skipped: ${absent.steps.find((step) => step.state !== 'succeeded')?.message || 'offline'}`;
  if (rollout.failures > rollout.strategy.max_failures) {
    return `${rollout.failures} host${rollout.failures === 1 ? '' : 's'} failed, ${rollout.strategy.max_failures} tolerated`;
  }
  return null;
}

function markRest(host: RolloutHost, state: StepState, message: string): void {
  for (const step of host.steps) {
    if (step.state === 'pending') {
      step.state = state;
      step.message = message;
    }
  }
}

/** The host's next step to send, if its previous ones succeeded and none runs. */
function nextStep(host: RolloutHost): RolloutStep | null {
  if (host.state !== 'running') return null;
  for (const step of host.steps) {
    if (step.state === 'succeeded') continue;
    return step.state === 'pending' ? step : null;
  }
  return null;
}

function start(step: RolloutStep, out: StepDispatch[], host: RolloutHost): void {
  step.state = 'running';
  step.message = '';
  out.push({ host, step });
}

/** A host's commands: its steps, then its rollback if it has one. */
export function commandsOf(host: RolloutHost): RolloutStep[] {
  return host.rollback ? [...host.steps, host.rollback] : [...host.steps];
}

/** The hosts allowed to start now: the canaries first and alone, then the rest in order. */
function startable(rollout: Rollout): RolloutHost[] {
  const canaries = rollout.hosts.filter((host) => host.canary);
  if (canaries.some((host) => !isHostDone(host))) return canaries.filter((host) => host.state === 'pending');
  return rollout.hosts.filter((host) => host.state === 'pending');
}

/**
 * Moves the rollout forward: the next step of every host in flight, new hosts while the batch has
 * room (not while paused or halting), and the end once nothing runs. Returns what to send.
 */
export function advance(rollout: Rollout, availability: (hostId: string) => HostAvailability, now: number): StepDispatch[] {
  const out: StepDispatch[] = [];
  if (rollout.status === 'pending') {
    rollout.status = 'running';
    rollout.started_at = new Date(now).toISOString();
  }
  if (rollout.status !== 'running' && rollout.status !== 'paused') return out;
  for (const host of rollout.hosts) {
    const step = nextStep(host);
    if (step) start(step, out, host);
    if (host.rollback?.state === 'pending') start(host.rollback, out, host);
  }
  const halt = haltReason(rollout);
  if (rollout.status === 'running' && halt === null) {
    let room = rollout.strategy.batch_size - rollout.hosts.filter(inFlight).length;
    for (const host of startable(rollout)) {
      if (room <= 0) break;
      const { exists, online } = availability(host.host_id);
      if (!exists || (!online && rollout.strategy.offline === 'skip')) {
        host.state = 'skipped';
        markRest(host, 'skipped', exists ? 'the host was offline at its turn' : 'the host no longer exists');
        continue;
      }
      host.state = 'running';
      const first = nextStep(host);
      if (first) start(first, out, host);
      room -= 1;
    }
  }
  if (rollout.hosts.some(inFlight)) {
    rollout.message = halt ? `halting: ${halt}; waiting for the hosts in flight` : rollout.status === 'paused' ? 'paused' : '';
    return out;
  }
  if (halt) return finish(rollout, 'halted', halt, now, 'skipped', 'the rollout halted');
  if (rollout.status === 'paused' && rollout.hosts.some((host) => host.state === 'pending')) {
    rollout.message = 'paused';
    return out;
  }
  if (rollout.hosts.some((host) => host.state === 'pending')) return out;
  const failed = rollout.failures;
  return failed > 0
    ? finish(rollout, 'failed', `${failed} host${failed === 1 ? '' : 's'} failed (${rollout.strategy.max_failures} tolerated)`, now)
    : finish(rollout, 'succeeded', summary(rollout), now);
}

function summary(rollout: Rollout): string {
  const done = rollout.hosts.filter((host) => host.state === 'succeeded').length;
  const skipped = rollout.hosts.filter((host) => host.state === 'skipped').length;
  return `${done} host${done === 1 ? '' : 's'} succeeded${skipped ? `, ${skipped} skipped` : ''}`;
}

function finish(
  rollout: Rollout,
  status: Rollout['status'],
  message: string,
  now: number,
  pendingState: StepState = 'skipped',
  pendingMessage = '',
): StepDispatch[] {
  for (const host of rollout.hosts) {
    if (host.state !== 'pending') continue;
    host.state = pendingState;
    markRest(host, pendingState, pendingMessage);
  }
  rollout.status = status;
  rollout.message = message;
  rollout.finished_at = new Date(now).toISOString();
  return [];
}

const STEP_OUTCOMES: Partial<Record<CommandStatus, StepState>> = {
  succeeded: 'succeeded',
  failed: 'failed',
  timed_out: 'failed',
  lost: 'failed',
  stopped: 'failed',
  expired: 'failed',
  cancelled: 'cancelled',
};

/** Where a command of the rollout stands: a step, or a host's rollback. */
export function findCommand(rollout: Rollout, commandId: string): { host: RolloutHost; step: RolloutStep; isRollback: boolean } | null {
  for (const host of rollout.hosts) {
    const step = host.steps.find((s) => s.command_id === commandId);
    if (step) return { host, step, isRollback: false };
    if (host.rollback?.command_id === commandId) return { host, step: host.rollback, isRollback: true };
  }
  return null;
}

/**
 * A command of the rollout ended. A failed step fails its host (its later steps are skipped), counts
 * as a failure, and asks for a rollback when the rollout wants one and the step may have changed the
 * host: not one that expired in the queue or that its agent refused (`refused`). A step withdrawn on
 * its own (its queued command cancelled) takes its host out of the rollout, as one offline at its turn.
 * Returns false for a command that is not the rollout's or that was already settled.
 */
export function stepEnded(rollout: Rollout, commandId: string, status: CommandStatus, message: string, refused = false): boolean {
  const found = findCommand(rollout, commandId);
  const outcome = STEP_OUTCOMES[status];
  if (!found || !outcome || found.step.state !== 'running') return false;
  // Expired in its queue, or refused by its agent: it never reached the host, nothing to undo.
  settle(rollout, found.host, found.step, found.isRollback, outcome, message, !refused && status !== 'expired');
  return true;
}

/** A step that could not even be sent (its host was removed meanwhile): it fails, with nothing to roll back. */
export function stepRefused(rollout: Rollout, host: RolloutHost, step: RolloutStep, message: string): void {
  settle(rollout, host, step, host.rollback === step, 'failed', message, false);
}

function settle(rollout: Rollout, host: RolloutHost, step: RolloutStep, isRollback: boolean, outcome: StepState, message: string, ran: boolean): void {
  step.state = outcome;
  step.message = message;
  if (isRollback) {
    host.state = outcome === 'succeeded' ? 'rolled_back' : 'failed';
    return;
  }
  if (outcome === 'succeeded') {
    if (host.steps.every((s) => s.state === 'succeeded')) host.state = 'succeeded';
    // Cancelled meanwhile: the step that ran is done, the ones after it will not come.
    else if (rollout.status === 'cancelled') host.state = 'cancelled';
    return;
  }
  if (outcome === 'cancelled' && rollout.status !== 'cancelled') {
    // Withdrawn on its own (DELETE /api/commands/:id, or its host removed): not a failure. The steps
    // before it stay as they ran.
    host.state = 'skipped';
    markRest(host, 'skipped', `${step.command} was withdrawn`);
    return;
  }
  host.state = outcome === 'cancelled' ? 'cancelled' : 'failed';
  markRest(host, rollout.status === 'cancelled' ? 'cancelled' : 'skipped', `${step.command} did not succeed`);
  if (host.state === 'cancelled') return;
  rollout.failures += 1;
  const wantsRollback = ran && rollout.strategy.rollback_on_failure && ROLLBACK_AFTER.has(step.command) && rollout.status !== 'cancelled';
  if (wantsRollback) host.rollback = { command: 'rollback', state: 'pending', command_id: null, message: '' };
}

/** The admin cancelled: nothing new starts; steps not yet sent are cancelled (running ones finish). */
export function cancel(rollout: Rollout, now: number): void {
  rollout.status = 'cancelled';
  rollout.message = 'cancelled';
  rollout.finished_at = new Date(now).toISOString();
  for (const host of rollout.hosts) {
    if (host.state === 'pending') host.state = 'cancelled';
    markRest(host, 'cancelled', 'the rollout was cancelled');
    if (host.rollback?.state === 'pending') host.rollback.state = 'cancelled';
    const running = host.steps.some((s) => s.state === 'running');
    if (host.state === 'running' && !running) host.state = 'cancelled';
  }
}

// How far a rollout is, as its panel says it ("12/40 hosts done, 1 failed"), and what the admin can
// do with it now. Pure functions of the record the dashboard sent.
import { isHostDone } from '../../protocol/rollout-rules.js';
import type { Rollout } from '../../protocol/rollout.js';
import type { RolloutChangeName } from '../net/api.js';
import { isFinished } from './rollout-records.js';

export { isHostDone };

export interface RolloutProgress {
  total: number;
  done: number;
  /** Started and not done: running a step or its rollback. */
  inFlight: number;
  succeeded: number;
  /** Hosts that failed a step, the rolled-back ones included. */
  failed: number;
  rolledBack: number;
  skipped: number;
  cancelled: number;
}

export function progressOf(rollout: Rollout): RolloutProgress {
  const progress: RolloutProgress = { total: rollout.hosts.length, done: 0, inFlight: 0, succeeded: 0, failed: 0, rolledBack: 0, skipped: 0, cancelled: 0 };
  for (const host of rollout.hosts) {
    if (isHostDone(host)) progress.done++;
    else if (host.state !== 'pending') progress.inFlight++;
    if (host.state === 'succeeded') progress.succeeded++;
    if (host.state === 'failed' || host.state === 'rolled_back') progress.failed++;
    if (host.state === 'rolled_back') progress.rolledBack++;
    if (host.state === 'skipped') progress.skipped++;
    if (host.state === 'cancelled') progress.cancelled++;
  }
  return progress;
}

/** "12/40 hosts done, 2 in flight, 1 failed (1 rolled back), 3 skipped"; a count that is 0 is left out. */
export function progressText(progress: RolloutProgress): string {
  const parts = [`${progress.done}/${progress.total} host${progress.total === 1 ? '' : 's'} done`];
  if (progress.inFlight > 0) parts.push(`${progress.inFlight} in flight`);
  if (progress.failed > 0) parts.push(`${progress.failed} failed${progress.rolledBack > 0 ? ` (${progress.rolledBack} rolled back)` : ''}`);
  if (progress.skipped > 0) parts.push(`${progress.skipped} skipped`);
  if (progress.cancelled > 0) parts.push(`${progress.cancelled} cancelled`);
  return parts.join(', ');
}

/** What the dashboard would accept now: pause a running rollout, resume a paused one, cancel an unfinished one. */
export function allowedChanges(rollout: Rollout): ReadonlySet<RolloutChangeName> {
  const allowed = new Set<RolloutChangeName>();
  if (rollout.status === 'running') allowed.add('pause');
  if (rollout.status === 'paused') allowed.add('resume');
  if (!isFinished(rollout)) allowed.add('cancel');
  return allowed;
}

/** The grid shows a rollback column once any host got a rollback. */
export function hasRollbacks(rollout: Rollout): boolean {
  return rollout.hosts.some((host) => host.rollback !== null);
}

/** What the rollout ran, in a few words: its preset, or its steps. */
export function rolloutTitle(rollout: Rollout): string {
  return rollout.preset ?? rollout.steps.join(', ');
}

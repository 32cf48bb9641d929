// The rollouts this page knows: those `init` carried (every unfinished one and the recent others),
// each kept in step by `rollout_update`, and older ones read on request (GET /api/rollouts). A
// rollout's `revision` counts its changes, so of two copies the page keeps the one with the higher:
// the 201 of a start, or a list read over HTTP, can arrive after a newer copy came on the socket.
// A `rollout_update` with `delta` carries only the hosts that changed since the rollout's previous
// update: they replace those hosts (by host_id) in the copy the page has.
import { FINAL_ROLLOUT_STATUSES } from '../../protocol/rollout-rules.js';
import type { Rollout } from '../../protocol/rollout.js';
import { Observable } from './observable.js';

export { FINAL_ROLLOUT_STATUSES };

export function isFinished(rollout: Rollout): boolean {
  return FINAL_ROLLOUT_STATUSES.has(rollout.status);
}

/** Whether `next` should replace `known`: it is the first copy, or a later change of the same rollout. */
export function isNewer(known: Rollout | undefined, next: Rollout): boolean {
  return known === undefined || next.revision > known.revision;
}

/** Newest first, as the dashboard lists them; ids break ties so the order never flickers. */
function newestFirst(a: Rollout, b: Rollout): number {
  return b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id);
}

export class RolloutRecords extends Observable {
  private readonly byId = new Map<string, Rollout>();
  private sorted: readonly Rollout[] = [];

  /** Every known rollout, newest first. */
  get list(): readonly Rollout[] {
    return this.sorted;
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Rollout | undefined {
    return this.byId.get(id);
  }

  /**
   * What a fresh `init` says, which is the dashboard's truth as of its version (even a copy with a
   * lower revision: the dashboard may have restarted without its last write). Finished rollouts read
   * earlier stay (they never change, and `init` carries only the recent ones); an unfinished one that
   * `init` no longer has ended while the page was away and fell out of the recent ones, so it goes.
   */
  reset(rollouts: readonly Rollout[]): void {
    const fresh = new Map(rollouts.map((rollout) => [rollout.id, rollout]));
    for (const [id, known] of this.byId) {
      if (!fresh.has(id) && !isFinished(known)) this.byId.delete(id);
    }
    for (const rollout of rollouts) this.byId.set(rollout.id, rollout);
    this.publish();
  }

  /** One whole rollout, from an HTTP answer; returns whether it was newer than the known copy. */
  merge(rollout: Rollout): boolean {
    if (!this.keep(rollout)) return false;
    this.publish();
    return true;
  }

  /**
   * A `rollout_update`. A delta newer than the known copy brings its changed hosts into it; one that
   * is not newer changes nothing (that copy already has them, e.g. from `init`). Returns false for a
   * delta with nothing to build on, which means something was missed: the state must be read again.
   */
  update(rollout: Rollout, delta: boolean): boolean {
    if (!delta) {
      this.merge(rollout);
      return true;
    }
    const known = this.byId.get(rollout.id);
    if (!known) return false;
    if (!isNewer(known, rollout)) return true;
    const changed = new Map(rollout.hosts.map((host) => [host.host_id, host]));
    const hosts = known.hosts.map((host) => changed.get(host.host_id) ?? host);
    const knownIds = new Set(known.hosts.map((host) => host.host_id));
    // A rollout's hosts are frozen when it starts; one the copy lacks is kept rather than dropped.
    for (const host of rollout.hosts) if (!knownIds.has(host.host_id)) hosts.push(host);
    this.byId.set(rollout.id, { ...rollout, hosts });
    this.publish();
    return true;
  }

  /** Many at once (a page of GET /api/rollouts): one change for all of them. */
  mergeAll(rollouts: readonly Rollout[]): void {
    let any = false;
    for (const rollout of rollouts) any = this.keep(rollout) || any;
    if (any) this.publish();
  }

  private keep(rollout: Rollout): boolean {
    const known = this.byId.get(rollout.id);
    if (!isNewer(known, rollout)) return false;
    this.byId.set(rollout.id, rollout);
    return true;
  }

  private publish(): void {
    this.sorted = [...this.byId.values()].sort(newestFirst);
    this.changed();
  }
}

// What browsers are told of rollouts: a rollout's first publication carries every host, the later
// ones only the hosts that changed since, at most once per ROLLOUT_PUBLISH_INTERVAL_MS.
import type { Rollout } from '../../protocol/rollout.js';
import type { Fanout } from '../hub/fanout.js';

/**
 * A rollout's changes reach browsers at most this often, each time with only the hosts that changed:
 * a batch of fifty hosts ending their step together is one small message, not fifty copies of a record
 * that grows with the fleet.
 */
export const ROLLOUT_PUBLISH_INTERVAL_MS = 100;

/** What browsers were last sent of a rollout: each host as JSON, to find the ones that changed. */
interface Published {
  hosts: Map<string, string>;
  timer: NodeJS.Timeout | null;
}

export class RolloutPublisher {
  private readonly published = new Map<string, Published>();

  constructor(private readonly fanout: Fanout) {}

  /** The rollout changed: browsers hear of it now if they never did, else within the interval. */
  changed(rollout: Rollout): void {
    const published = this.published.get(rollout.id);
    if (!published) this.publish(rollout);
    else published.timer ??= setTimeout(() => this.publish(rollout), ROLLOUT_PUBLISH_INTERVAL_MS);
  }

  /** Publishes what waits of this rollout and forgets it. */
  forget(rollout: Rollout): void {
    if (this.published.get(rollout.id)?.timer) this.publish(rollout);
    this.published.delete(rollout.id);
  }

  /** Publishes what waits (shutdown). */
  flush(rolloutOf: (id: string) => Rollout | undefined): void {
    for (const [id, published] of this.published) {
      const rollout = rolloutOf(id);
      if (published.timer && rollout) this.publish(rollout);
    }
  }

  private publish(rollout: Rollout): void {
    const previous = this.published.get(rollout.id);
    if (previous?.timer) clearTimeout(previous.timer);
    const hosts = new Map(rollout.hosts.map((host) => [host.host_id, JSON.stringify(host)]));
    const changed = previous ? rollout.hosts.filter((host) => previous.hosts.get(host.host_id) !== hosts.get(host.host_id)) : rollout.hosts;
    this.published.set(rollout.id, { hosts, timer: null });
    this.fanout.publishState('rollout_update', { rollout: { ...rollout, hosts: changed }, delta: previous !== undefined });
  }
}

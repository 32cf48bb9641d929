// The event log as the browser shows it: the recent events read over HTTP, then each live `event`.
// Both sources overlap after a reconnect, so events are merged by id.
import type { FleetEvent } from '../../protocol/model.js';
import { Observable } from './observable.js';

/** Events kept in the page; the dashboard keeps the full log. */
export const EVENTS_KEPT = 300;

export class EventFeed extends Observable {
  private list: FleetEvent[] = [];

  /** Newest first. */
  get events(): readonly FleetEvent[] {
    return this.list;
  }

  add(event: FleetEvent): void {
    this.merge([event]);
  }

  merge(events: readonly FleetEvent[]): void {
    const byId = new Map(this.list.map((e) => [e.id, e]));
    let added = false;
    for (const event of events) {
      if (byId.has(event.id)) continue;
      byId.set(event.id, event);
      added = true;
    }
    if (!added) return;
    this.list = [...byId.values()].sort((a, b) => b.id - a.id).slice(0, EVENTS_KEPT);
    this.changed();
  }
}

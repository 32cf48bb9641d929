// The event log: what happened in the fleet, for the admin to read later and to watch live.
import type { Logger } from 'pino';
import type { EventLevel, FleetEvent } from '../protocol/model.js';
import type { EventRecord, Store } from './store/store.js';
import type { Fanout } from './hub/fanout.js';
import { RepeatedEvents } from './repeated-events.js';

export function toWireEvent(record: EventRecord): FleetEvent {
  const event: FleetEvent = { id: record.id, at: new Date(record.at).toISOString(), level: record.level, message: record.message };
  if (record.host_id !== null) event.host_id = record.host_id;
  return event;
}

export class EventLog {
  /** Refusals a misconfigured peer repeats on every retry: recorded once, then counted. */
  private readonly repeats = new RepeatedEvents((level, message, hostId) => this.record(level, message, hostId));

  constructor(
    private readonly store: Store,
    private readonly fanout: Fanout,
    private lastId: number,
    private readonly log: Logger,
  ) {}

  record(level: EventLevel, message: string, hostId: string | null = null): EventRecord {
    const record: EventRecord = { id: ++this.lastId, at: Date.now(), level, host_id: hostId, message };
    this.store.putEvent(record);
    this.fanout.publish('event', toWireEvent(record));
    this.log[level]({ event: record.id, host: hostId ?? undefined }, message);
    return record;
  }

  /**
   * Records `message` unless `source` (who keeps causing it, e.g. an agent's address) reported the
   * same within the last minutes; then it is only counted, and the count recorded later (repeated-events.ts).
   */
  recordRepeated(source: string, level: EventLevel, message: string, hostId: string | null = null): void {
    this.repeats.report(source, level, message, hostId);
  }

  /** Records the repeats counted and not recorded yet; before the dashboard stops. */
  flushRepeated(): void {
    this.repeats.flush();
  }

  async recent(hostId: string | null, limit: number): Promise<FleetEvent[]> {
    return (await this.store.readEvents(hostId, limit)).map(toWireEvent);
  }
}

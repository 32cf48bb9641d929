// The event log: what happened in the fleet, for the admin to read later and to watch live.
import type { Logger } from 'pino';
import type { EventLevel, FleetEvent } from '../protocol/model.js';
import type { EventRecord, Store } from './store/store.js';
import type { Fanout } from './hub/fanout.js';

export function toWireEvent(record: EventRecord): FleetEvent {
  const event: FleetEvent = { id: record.id, at: new Date(record.at).toISOString(), level: record.level, message: record.message };
  if (record.host_id !== null) event.host_id = record.host_id;
  return event;
}

export class EventLog {
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

  recent(hostId: string | null, limit: number): FleetEvent[] {
    return this.store.readEvents(hostId, limit).map(toWireEvent);
  }
}

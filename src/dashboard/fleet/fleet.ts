// The hosts: what their agents last told, and whether they are online.
//
// Presence follows one rule with one timer per host. While the agent is connected the host goes
// offline after max(3 × heartbeat interval, grace) without a heartbeat; once its socket is gone,
// after the grace period unless it registers again. So an agent restart (as a switch causes) does
// not make the host flap.
import type { Logger } from 'pino';
import type { Host } from '../../protocol/model.js';
import type { HeartbeatPayload, RegisterPayload } from '../../protocol/agent.js';
import type { HostRecord, Store } from '../store/store.js';
import type { Fanout } from '../hub/fanout.js';
import type { EventLog } from '../events.js';
import { toWireCommand, type CommandBook } from '../commands/command-book.js';

/** Assumed when an agent does not say how often it sends heartbeats. */
export const DEFAULT_HEARTBEAT_INTERVAL_S = 30;
/** Heartbeats that may be missed before a connected host counts as offline. */
export const MISSED_HEARTBEATS_BEFORE_OFFLINE = 3;

export interface HostEntry {
  record: HostRecord;
  connected: boolean;
  presenceTimer: NodeJS.Timeout | null;
  presenceDelayMs: number;
}

function newRecord(hostname: string): HostRecord {
  return {
    id: hostname,
    hostname,
    host_type: 'nixos',
    status: 'online',
    last_seen: null,
    agent_version: '',
    os_version: '',
    nixpkgs_version: '',
    generation: '',
    metrics: null,
    update_status: null,
    theme_color: '',
    location: '',
    device_type: '',
    protocol_version: 0,
    heartbeat_interval_s: DEFAULT_HEARTBEAT_INTERVAL_S,
    repo_url: '',
    repo_dir: '',
    lock_hash: '',
    source_commit: '',
    store_path: '',
    binary_hash: '',
    pending_command: null,
    command_pid: null,
  };
}

/** Copies the fields an agent sent; a field it left out (or sent as null) keeps its last value. */
function assignReported<K extends keyof HostRecord>(record: HostRecord, payload: Partial<Record<K, unknown>>, keys: readonly K[]): void {
  for (const key of keys) {
    const value = payload[key];
    if (value !== undefined && value !== null) record[key] = value as HostRecord[K];
  }
}

/**
 * What an admin may set when creating a host. An agent that reports them empty (not configured on
 * the host, as old agents do) leaves the admin's values in place.
 */
const ADMIN_FIELDS: ReadonlySet<keyof HostRecord> = new Set(['location', 'device_type', 'theme_color']);

function withoutEmptyAdminFields<T extends object>(payload: T): T {
  const out = { ...payload } as Record<string, unknown>;
  for (const key of ADMIN_FIELDS) if (out[key] === '') delete out[key];
  return out as T;
}

const REGISTER_FIELDS = [
  'host_type',
  'agent_version',
  'os_version',
  'nixpkgs_version',
  'generation',
  'theme_color',
  'location',
  'device_type',
  'repo_url',
  'repo_dir',
  'source_commit',
  'store_path',
  'binary_hash',
] as const;

const HEARTBEAT_FIELDS = [
  'generation',
  'nixpkgs_version',
  'metrics',
  'update_status',
  'lock_hash',
  'agent_version',
  'os_version',
  'source_commit',
  'store_path',
  'binary_hash',
] as const;

export class Fleet {
  private readonly hosts = new Map<string, HostEntry>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly fanout: Fanout,
    private readonly events: EventLog,
    private readonly commands: CommandBook,
    private readonly offlineTimeoutMs: number,
    private readonly log: Logger,
    records: readonly HostRecord[],
  ) {
    commands.hostChanged = (hostId) => this.publish(hostId);
    // After a dashboard restart no agent is connected yet: hosts that were online get the grace
    // period to come back before they are shown offline.
    for (const record of records) {
      const entry: HostEntry = { record, connected: false, presenceTimer: null, presenceDelayMs: 0 };
      this.hosts.set(record.id, entry);
      if (record.status === 'online') this.armPresence(entry);
    }
  }

  get(id: string): HostEntry | undefined {
    return this.hosts.get(id);
  }

  get size(): number {
    return this.hosts.size;
  }

  list(): HostEntry[] {
    return [...this.hosts.values()];
  }

  toWire(entry: HostEntry): Host {
    const { record } = entry;
    const running = this.commands.runningFor(record.id);
    return {
      id: record.id,
      hostname: record.hostname,
      host_type: record.host_type,
      status: record.status,
      connected: entry.connected,
      last_seen: record.last_seen === null ? null : new Date(record.last_seen).toISOString(),
      agent_version: record.agent_version,
      os_version: record.os_version,
      nixpkgs_version: record.nixpkgs_version,
      generation: record.generation,
      metrics: record.metrics,
      update_status: record.update_status,
      theme_color: record.theme_color,
      location: record.location,
      device_type: record.device_type,
      running_command: running ? toWireCommand(running) : null,
      protocol_version: record.protocol_version,
    };
  }

  snapshot(): Host[] {
    return [...this.hosts.values()].sort((a, b) => a.record.id.localeCompare(b.record.id)).map((entry) => this.toWire(entry));
  }

  /** An agent registered: the host exists, is connected and online. */
  register(payload: RegisterPayload, now = Date.now()): HostEntry {
    let entry = this.hosts.get(payload.hostname);
    const isNew = entry === undefined;
    if (!entry) {
      entry = { record: newRecord(payload.hostname), connected: false, presenceTimer: null, presenceDelayMs: 0 };
      this.hosts.set(payload.hostname, entry);
    }
    const { record } = entry;
    const wasOnline = record.status === 'online';
    assignReported(record, withoutEmptyAdminFields(payload), REGISTER_FIELDS);
    if (payload.heartbeat_interval) record.heartbeat_interval_s = payload.heartbeat_interval;
    record.protocol_version = payload.protocol_version ?? 0;
    record.last_seen = now;
    record.status = 'online';
    entry.connected = true;
    this.armPresence(entry);
    this.store.putHost(record);
    this.publish(record.id);
    if (isNew) this.events.record('info', `host ${record.id} registered for the first time`, record.id);
    else if (!wasOnline) this.events.record('info', `host ${record.id} is online`, record.id);
    return entry;
  }

  /** A host made by the admin ahead of its agent: offline and never seen until the agent registers. */
  create(fields: Pick<HostRecord, 'hostname'> & Partial<Pick<HostRecord, 'host_type' | 'location' | 'device_type' | 'theme_color'>>): HostEntry {
    const record = { ...newRecord(fields.hostname), status: 'offline' as const };
    assignReported(record, fields, ['host_type', 'location', 'device_type', 'theme_color']);
    const entry: HostEntry = { record, connected: false, presenceTimer: null, presenceDelayMs: 0 };
    this.hosts.set(record.id, entry);
    this.store.putHost(record);
    this.publish(record.id);
    return entry;
  }

  /** Forgets a host: its record goes, browsers are told with host_removed. */
  remove(entry: HostEntry): void {
    if (entry.presenceTimer !== null) clearTimeout(entry.presenceTimer);
    this.hosts.delete(entry.record.id);
    this.store.deleteHost(entry.record.id);
    this.fanout.publishState('host_removed', { host_id: entry.record.id });
  }

  heartbeat(entry: HostEntry, payload: HeartbeatPayload, now = Date.now()): void {
    const { record } = entry;
    assignReported(record, payload, HEARTBEAT_FIELDS);
    // These two say "nothing runs" with null, so null is taken as it is.
    record.pending_command = payload.pending_command ?? null;
    record.command_pid = payload.command_pid ?? null;
    record.last_seen = now;
    if (record.status === 'offline') {
      record.status = 'online';
      this.events.record('info', `host ${record.id} is sending heartbeats again`, record.id);
    }
    this.armPresence(entry);
    this.store.putHost(record);
    this.publish(record.id);
  }

  /** A command's final status names the generation the host is on now. */
  setGeneration(entry: HostEntry, generation: string | null | undefined): void {
    if (!generation || generation === entry.record.generation) return;
    entry.record.generation = generation;
    this.store.putHost(entry.record);
    this.publish(entry.record.id);
  }

  /** The agent's socket is gone. The host stays online for the grace period. */
  disconnected(entry: HostEntry): void {
    entry.connected = false;
    this.armPresence(entry);
    this.publish(entry.record.id);
  }

  publish(hostId: string): void {
    const entry = this.hosts.get(hostId);
    if (entry) this.fanout.publishState('host_update', { host: this.toWire(entry) });
  }

  private armPresence(entry: HostEntry): void {
    if (this.stopped) return;
    const heartbeatDeadlineMs = MISSED_HEARTBEATS_BEFORE_OFFLINE * entry.record.heartbeat_interval_s * 1000;
    const delayMs = entry.connected ? Math.max(heartbeatDeadlineMs, this.offlineTimeoutMs) : this.offlineTimeoutMs;
    if (entry.presenceTimer !== null && entry.presenceDelayMs === delayMs) {
      entry.presenceTimer.refresh();
      return;
    }
    if (entry.presenceTimer !== null) clearTimeout(entry.presenceTimer);
    entry.presenceDelayMs = delayMs;
    entry.presenceTimer = setTimeout(() => this.expire(entry), delayMs);
  }

  private expire(entry: HostEntry): void {
    entry.presenceTimer = null;
    // After the dashboard itself stalled, due timers run before the frames that came meanwhile are
    // read. Decide once they are (a heartbeat among them re-arms the timer): a host is not judged
    // by time in which the dashboard could not listen.
    setImmediate(() => this.goOffline(entry));
  }

  private goOffline(entry: HostEntry): void {
    if (this.stopped || entry.presenceTimer !== null || entry.record.status === 'offline') return;
    if (this.hosts.get(entry.record.id) !== entry) return;
    entry.record.status = 'offline';
    this.store.putHost(entry.record);
    this.publish(entry.record.id);
    const why = entry.connected ? 'its heartbeats stopped' : 'its agent did not come back';
    this.events.record('warn', `host ${entry.record.id} is offline: ${why}`, entry.record.id);
    this.log.debug({ host: entry.record.id }, 'host offline');
  }

  /** Stops every presence timer (shutdown); sockets closing after this change no presence. */
  stop(): void {
    this.stopped = true;
    for (const entry of this.hosts.values()) {
      if (entry.presenceTimer !== null) clearTimeout(entry.presenceTimer);
      entry.presenceTimer = null;
    }
  }
}

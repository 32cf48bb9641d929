// The hosts: what their agents last told, and whether they are online.
//
// Presence follows one rule with one timer per host. While the agent is connected the host goes
// offline after max(3 × heartbeat interval, grace) without a heartbeat; once its socket is gone,
// after the grace period unless it registers again. So an agent restart (as a switch causes) does
// not make the host flap.
import type { Logger } from 'pino';
import type { Compartments, Host } from '../../protocol/model.js';
import type { HeartbeatPayload, RegisterPayload } from '../../protocol/agent.js';
import type { HostRecord, Store } from '../store/store.js';
import type { Fanout } from '../hub/fanout.js';
import type { EventLog } from '../events.js';
import type { CommandBook } from '../commands/command-book.js';
import type { CompartmentTracker } from '../desired/compartment-tracker.js';
import { AgentConflicts } from './agent-conflicts.js';
import { assignReported, HEARTBEAT_FIELDS, HEARTBEAT_FIELDS_KEPT, newHostRecord, REGISTER_FIELDS, reportsChange, withoutEmptyAdminFields } from './host-record.js';

/** Heartbeats that may be missed before a connected host counts as offline. */
export const MISSED_HEARTBEATS_BEFORE_OFFLINE = 3;
/**
 * A heartbeat that changes only the host's metrics and `last_seen` is written at most this often per
 * host (and at every stop); one that changes anything else, or brings the host back online, is written
 * at the next tick like any other change. At 10,000 hosts every 5 s, writing each heartbeat was a fifth
 * of the dashboard's CPU, for figures the next heartbeat replaces anyway.
 */
export const HEARTBEAT_SAVE_INTERVAL_MS = 60_000;

export interface HostEntry {
  record: HostRecord;
  connected: boolean;
  presenceTimer: NodeJS.Timeout | null;
  presenceDelayMs: number;
  /**
   * The host as browsers see it, serialized when it was last published, kept until it is published
   * again (never while it runs a command: the command's line count moves without a publish of the
   * host). Each `init` is put together from these: at 10,000 hosts, serializing the whole fleet again
   * for every init was most of its cost, and after a restart it stalled the dashboard for seconds.
   */
  wireJson?: string | null;
  /** When the record was last handed to the store (Date.now()); heartbeats after it may be unsaved. */
  savedAt?: number;
  /** A heartbeat changed the record since it was last handed to the store. */
  unsaved?: boolean;
}

export interface FleetParts {
  store: Store;
  fanout: Fanout;
  events: EventLog;
  commands: CommandBook;
  compartments: CompartmentTracker;
  log: Logger;
}

export class Fleet {
  private readonly hosts = new Map<string, HostEntry>();
  /**
   * Host ids in snapshot order, kept until a host comes or goes: at 10,000 hosts, sorting them for
   * every browser's init cost as much as building their records.
   */
  private sortedIds: string[] | null = null;
  private stopped = false;
  private readonly store: Store;
  private readonly fanout: Fanout;
  private readonly events: EventLog;
  private readonly commands: CommandBook;
  private readonly compartments: CompartmentTracker;
  private readonly log: Logger;
  private readonly conflicts: AgentConflicts;

  constructor(
    parts: FleetParts,
    private readonly offlineTimeoutMs: number,
    records: readonly HostRecord[],
  ) {
    ({ store: this.store, fanout: this.fanout, events: this.events, commands: this.commands, compartments: this.compartments, log: this.log } = parts);
    this.commands.hostChanged = (hostId) => this.publish(hostId);
    // Before hostChanged publishes the host without its command: the compartments see how it ended.
    this.commands.onEnded((command) => {
      const entry = this.hosts.get(command.host_id);
      if (!entry) return;
      entry.wireJson = null;
      this.compartments.noteCommandEnded(entry.record, command);
      this.save(entry);
    });
    this.conflicts = new AgentConflicts({
      began: (hostId, addresses) => {
        const from = addresses.join(', ');
        this.events.record('warn', `two agents keep replacing each other as host ${hostId} (from ${from}): give each host its own hostname and token`, hostId);
        this.publish(hostId);
      },
      ended: (hostId) => this.publish(hostId),
    });
    // After a dashboard restart no agent is connected yet: hosts that were online get the grace
    // period to come back before they are shown offline. Records from before a field existed get it.
    for (const stored of records) {
      const record = { ...newHostRecord(stored.id), ...stored };
      this.compartments.noteAgentVersion(record);
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
      running_command: running ? this.commands.toWire(running) : null,
      protocol_version: record.protocol_version,
      repo_commit: record.repo_commit,
      system_commit: record.system_commit,
      lock_hash: record.lock_hash,
      compartments: record.compartments ?? this.judge(entry).compartments,
      agent_conflict: this.conflicts.isFighting(record.id),
      tags: record.tags,
      agent_tags: record.agent_tags,
      shared_token: record.shared_token,
    };
  }

  /** Judges the host's compartments again (they live in its record). */
  private judge(entry: HostEntry): { compartments: Compartments; changed: boolean } {
    return this.compartments.update(entry.record, this.commands.runningFor(entry.record.id)?.command ?? null);
  }

  /** Judges every host again (the desired state changed) and publishes those whose compartments changed. */
  rejudgeAll(): void {
    for (const entry of this.hosts.values()) {
      if (this.judge(entry).changed) this.publishJudged(entry);
    }
  }

  snapshot(): Host[] {
    return this.sorted().map((entry) => this.toWire(entry));
  }

  /** Each host's JSON, in snapshot() order (kept from its last publish where it can be). */
  snapshotJson(): string[] {
    return this.sorted().map((entry) => this.wireJsonOf(entry));
  }

  private sorted(): HostEntry[] {
    this.sortedIds ??= [...this.hosts.keys()].sort((a, b) => a.localeCompare(b));
    return this.sortedIds.map((id) => this.hosts.get(id) as HostEntry);
  }

  private wireJsonOf(entry: HostEntry): string {
    if (entry.wireJson) return entry.wireJson;
    const json = JSON.stringify(this.toWire(entry));
    if (!this.commands.runningFor(entry.record.id)) entry.wireJson = json;
    return json;
  }

  /** An agent registered: the host exists, is connected and online. */
  register(payload: RegisterPayload, viaSharedToken: boolean, now = Date.now()): HostEntry {
    let entry = this.hosts.get(payload.hostname);
    const isNew = entry === undefined;
    if (!entry) {
      entry = { record: newHostRecord(payload.hostname), connected: false, presenceTimer: null, presenceDelayMs: 0 };
      this.hosts.set(payload.hostname, entry);
      this.sortedIds = null;
    }
    const { record } = entry;
    const wasOnline = record.status === 'online';
    assignReported(record, withoutEmptyAdminFields(payload), REGISTER_FIELDS);
    if (payload.heartbeat_interval) record.heartbeat_interval_s = payload.heartbeat_interval;
    if (payload.tags) record.agent_tags = [...new Set(payload.tags)].sort();
    record.protocol_version = payload.protocol_version ?? 0;
    record.shared_token = viaSharedToken;
    record.last_seen = now;
    record.status = 'online';
    entry.connected = true;
    this.armPresence(entry);
    this.publishWithVersion(entry);
    if (isNew) this.events.record('info', `host ${record.id} registered for the first time`, record.id);
    else if (!wasOnline) this.events.record('info', `host ${record.id} is online`, record.id);
    return entry;
  }

  /** A host made by the admin ahead of its agent: offline and never seen until the agent registers. */
  create(fields: Pick<HostRecord, 'hostname'> & Partial<Pick<HostRecord, 'host_type' | 'location' | 'device_type' | 'theme_color'>>): HostEntry {
    const record = { ...newHostRecord(fields.hostname), status: 'offline' as const };
    assignReported(record, fields, ['host_type', 'location', 'device_type', 'theme_color']);
    const entry: HostEntry = { record, connected: false, presenceTimer: null, presenceDelayMs: 0 };
    this.hosts.set(record.id, entry);
    this.sortedIds = null;
    this.publish(record.id);
    return entry;
  }

  /** The admin's tags for the host. */
  setTags(entry: HostEntry, tags: readonly string[]): void {
    entry.record.tags = [...new Set(tags)].sort();
    this.publish(entry.record.id);
  }

  /** Forgets a host: its record goes, browsers are told with host_removed. */
  remove(entry: HostEntry): void {
    if (entry.presenceTimer !== null) clearTimeout(entry.presenceTimer);
    this.conflicts.forget(entry.record.id);
    this.hosts.delete(entry.record.id);
    this.sortedIds = null;
    this.store.deleteHost(entry.record.id);
    this.fanout.publishState('host_removed', { host_id: entry.record.id });
    if (this.compartments.hostRemoved(entry.record.id)) this.rejudgeAll();
  }

  heartbeat(entry: HostEntry, payload: HeartbeatPayload, now = Date.now()): void {
    const { record } = entry;
    // These two say "nothing runs" with null, so null is taken as it is.
    const pendingCommand = payload.pending_command ?? null;
    const commandPid = payload.command_pid ?? null;
    let lasting = reportsChange(record, payload, HEARTBEAT_FIELDS_KEPT) || pendingCommand !== record.pending_command || commandPid !== record.command_pid;
    assignReported(record, payload, HEARTBEAT_FIELDS);
    record.pending_command = pendingCommand;
    record.command_pid = commandPid;
    record.last_seen = now;
    if (record.status === 'offline') {
      record.status = 'online';
      lasting = true;
      this.events.record('info', `host ${record.id} is sending heartbeats again`, record.id);
    }
    this.armPresence(entry);
    if (this.compartments.noteAgentVersion(record)) this.rejudgeAll();
    lasting = this.judge(entry).changed || lasting;
    // Once stopping, nothing would write it later: heartbeats still read while the sockets close go now.
    if (lasting || this.stopped || now - (entry.savedAt ?? 0) >= HEARTBEAT_SAVE_INTERVAL_MS) this.save(entry, now);
    else entry.unsaved = true;
    this.announce(entry);
  }

  /** Publishes the host; when its agent is the fleet's newest, every host is judged against it again. */
  private publishWithVersion(entry: HostEntry): void {
    if (this.compartments.noteAgentVersion(entry.record)) this.rejudgeAll();
    this.publish(entry.record.id);
  }

  /** A command's final status names the generation the host is on now. */
  setGeneration(entry: HostEntry, generation: string | null | undefined): void {
    if (!generation || generation === entry.record.generation) return;
    entry.record.generation = generation;
    this.publish(entry.record.id);
  }

  /** The agent's socket is gone. The host stays online for the grace period. */
  disconnected(entry: HostEntry): void {
    entry.connected = false;
    entry.wireJson = null;
    // Stopping: nobody is left to tell, and with thousands of agents the telling slowed the stop.
    if (this.stopped) return;
    this.armPresence(entry);
    this.publish(entry.record.id);
  }

  /** Tells browsers how the host is now, its compartments judged again. */
  publish(hostId: string): void {
    const entry = this.hosts.get(hostId);
    if (!entry) return;
    this.judge(entry);
    this.publishJudged(entry);
  }

  private publishJudged(entry: HostEntry): void {
    // Each compartment's `since` is kept across restarts.
    this.save(entry);
    this.announce(entry);
  }

  /** Sends browsers the host as it is now. */
  private announce(entry: HostEntry): void {
    entry.wireJson = null;
    this.fanout.publishHost(this.wireJsonOf(entry));
  }

  /** Hands the record to the store: it is written at the next tick, as it is then. */
  private save(entry: HostEntry, now = Date.now()): void {
    this.store.putHost(entry.record);
    entry.savedAt = now;
    entry.unsaved = false;
  }

  /** A newer connection for the host replaced an open one (two agents may be fighting over it). */
  replaced(hostId: string, oldAddress: string, newAddress: string): void {
    this.conflicts.replaced(hostId, oldAddress, newAddress);
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
    this.publish(entry.record.id);
    const why = entry.connected ? 'its heartbeats stopped' : 'its agent did not come back';
    this.events.record('warn', `host ${entry.record.id} is offline: ${why}`, entry.record.id);
    this.log.debug({ host: entry.record.id }, 'host offline');
  }

  /** Stops every presence timer (shutdown); sockets closing after this change no presence. Heartbeats not yet written go to the store. */
  stop(): void {
    this.stopped = true;
    this.conflicts.stop();
    for (const entry of this.hosts.values()) {
      if (entry.presenceTimer !== null) clearTimeout(entry.presenceTimer);
      entry.presenceTimer = null;
      if (entry.unsaved) this.save(entry);
    }
  }
}

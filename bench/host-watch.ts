// What one simulated browser shows of its hosts' presence: whether a host was ever shown offline, and
// when every host was last shown online with its agent connected. It learns the hosts from each
// `init` (read from its bytes: with 10,000 hosts an init is megabytes, and parsing it whole in the load
// generator would compete with the dashboard for the CPU at the very moment it is timed) and follows
// them through `host_update`.
import { numberAt } from './frame-reading.js';
import type { PresenceReport } from './messages.js';

const HOSTNAME = Buffer.from('"hostname":"');
const STATUS = Buffer.from('"status":"');
const CONNECTED = Buffer.from('"connected":');
/** The simulated agents put their heartbeat's send time in `metrics.load` (real-agent.ts). */
const LOAD = Buffer.from('"load":');
const QUOTE = 0x22;
const LETTER_T = 0x74;
/** Hosts listed by id in a report at most (the count says how many there were). */
const HOSTS_LISTED = 20;

/**
 * Each host of an init, in the order of its record's fields (id, hostname, host_type, status,
 * connected: fleet.ts toWire). Only host records have a `hostname`; commands and rollouts name hosts
 * by `host_id`, so every `"hostname":"` of an init starts one host.
 */
function* hostsOfInit(payload: Buffer): Generator<{ id: string; online: boolean; connected: boolean; heartbeatSentAt: number }> {
  for (let at = payload.indexOf(HOSTNAME); at >= 0; ) {
    const next = payload.indexOf(HOSTNAME, at + 1);
    const from = at + HOSTNAME.length;
    const to = payload.indexOf(QUOTE, from);
    const statusAt = payload.indexOf(STATUS, to) + STATUS.length;
    const connectedAt = payload.indexOf(CONNECTED, statusAt) + CONNECTED.length;
    const loadAt = payload.indexOf(LOAD, connectedAt);
    yield {
      id: payload.toString('latin1', from, to),
      online: payload.toString('latin1', statusAt, payload.indexOf(QUOTE, statusAt)) === 'online',
      connected: payload[connectedAt] === LETTER_T,
      heartbeatSentAt: loadAt >= 0 && (next < 0 || loadAt < next) ? numberAt(payload, loadAt + LOAD.length) : NaN,
    };
    at = next;
  }
}

export class HostWatch {
  private readonly known = new Set<string>();
  private readonly notConnected = new Set<string>();
  private readonly offlineHosts = new Set<string>();
  private offlineShown = 0;
  private allConnectedAtMs = NaN;

  /**
   * An init replaces what the page knew of its hosts. The heartbeat each host shows in it goes into
   * `heartbeatsSeen`, so that a later `host_update` repeating it (a register) is not timed as a late one.
   */
  init(payload: Buffer, now: number, heartbeatsSeen: Map<string, number>): void {
    this.known.clear();
    this.notConnected.clear();
    for (const host of hostsOfInit(payload)) {
      this.show(host.id, host.online, host.connected);
      if (Number.isFinite(host.heartbeatSentAt)) heartbeatsSeen.set(host.id, host.heartbeatSentAt);
    }
    this.allConnectedAtMs = this.notConnected.size === 0 ? now : NaN;
  }

  update(id: string, online: boolean, connected: boolean, now: number): void {
    const before = this.notConnected.size;
    this.show(id, online, connected);
    if (this.notConnected.size === 0 && before > 0) this.allConnectedAtMs = now;
    else if (this.notConnected.size > 0) this.allConnectedAtMs = NaN;
  }

  private show(id: string, online: boolean, connected: boolean): void {
    this.known.add(id);
    if (!online) {
      this.offlineShown++;
      this.offlineHosts.add(id);
    }
    if (online && connected) this.notConnected.delete(id);
    else this.notConnected.add(id);
  }

  report(): PresenceReport {
    return {
      hosts: this.known.size,
      offlineShown: this.offlineShown,
      offlineHosts: [...this.offlineHosts].slice(0, HOSTS_LISTED),
      disconnectedNow: this.notConnected.size,
      allConnectedAtMs: this.allConnectedAtMs,
    };
  }
}

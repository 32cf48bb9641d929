// Prometheus metrics (GET /metrics). Counters on the hot path are pre-bound per label value, so
// counting costs a map lookup; gauges are read from the live state only when scraped.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type PeerKindLabel = 'agent' | 'browser';

/** What the metrics read at scrape time. */
export interface MetricsSources {
  connections(): { agents: number; browsers: number };
  /** Outbound bytes waiting per kind of peer: the total and the largest single queue. */
  outboundBytes(): Record<PeerKindLabel, { total: number; max: number }>;
  hosts(): { id: string; status: string; lastSeenMs: number | null }[];
  storagePendingBatches(): number;
  fanoutQueued(): number;
}

type CounterChild = { inc(value?: number): void };

/** One label combination of a hot-path counter: what it counted since the last scrape. */
class PendingCount implements CounterChild {
  pending = 0;
  constructor(readonly labels: Record<string, string>) {}
  inc(value = 1): void {
    this.pending += value;
  }
}

/**
 * A counter with two labels for the hot path: counting adds to a plain number held per label pair,
 * found without building a key, and the Prometheus counter takes the sums only when it is scraped
 * (prom-client hashes the labels on every inc(), which showed in profiles at 15,000 frames a second).
 */
function hotCounter(options: { name: string; help: string; labelNames: [string, string]; registers: Registry[] }): (first: string, second: string) => CounterChild {
  const children = new Map<string, Map<string, PendingCount>>();
  const [firstName, secondName] = options.labelNames;
  new Counter({
    ...options,
    collect(this: Counter) {
      for (const byFirst of children.values()) {
        for (const child of byFirst.values()) {
          if (child.pending === 0) continue;
          this.inc(child.labels, child.pending);
          child.pending = 0;
        }
      }
    },
  });
  return (first, second) => {
    let byFirst = children.get(first);
    if (!byFirst) {
      byFirst = new Map();
      children.set(first, byFirst);
    }
    let child = byFirst.get(second);
    if (!child) {
      child = new PendingCount({ [firstName]: first, [secondName]: second });
      byFirst.set(second, child);
    }
    return child;
  };
}

export class DashboardMetrics {
  readonly registry = new Registry();
  private readonly messagesIn: (peer: string, type: string) => CounterChild;
  private readonly messagesOut: (peer: string, type: string) => CounterChild;
  private readonly badFrames: (peer: string, code: string) => CounterChild;
  private readonly closedByUs: (peer: string, code: string) => CounterChild;
  private readonly commandsEnded: (command: string, outcome: string) => CounterChild;
  private readonly storageWrites: Histogram;
  private readonly fanoutDelay: Histogram;
  private readonly storageFailures: Counter;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'nixfleet_' });
    this.messagesIn = hotCounter({ name: 'nixfleet_messages_received_total', help: 'Frames received, by peer kind and message type', labelNames: ['peer', 'type'], registers });
    this.messagesOut = hotCounter({ name: 'nixfleet_messages_sent_total', help: 'Messages sent, by peer kind and message type (a broadcast counts once per browser; an output_batch once, not per command in it)', labelNames: ['peer', 'type'], registers });
    this.badFrames = hotCounter({ name: 'nixfleet_bad_frames_total', help: 'Frames answered with an error, by peer kind and error code', labelNames: ['peer', 'code'], registers });
    this.closedByUs = hotCounter({ name: 'nixfleet_peers_closed_total', help: 'Sockets the dashboard closed, by peer kind and close code (4008: too slow)', labelNames: ['peer', 'code'], registers });
    this.commandsEnded = hotCounter({ name: 'nixfleet_commands_total', help: 'Commands ended, by command and outcome', labelNames: ['command', 'outcome'], registers });
    this.storageWrites = new Histogram({
      name: 'nixfleet_storage_write_seconds',
      help: 'Time to write one batch (one transaction) to storage',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    this.fanoutDelay = new Histogram({
      name: 'nixfleet_fanout_delay_seconds',
      help: 'How long a message waited in the dashboard between being published and being written to the browsers',
      buckets: [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.storageFailures = new Counter({ name: 'nixfleet_storage_failures_total', help: 'Batches that failed to write (and were retried)', registers });
  }

  received(peer: PeerKindLabel, type: string): void {
    this.messagesIn(peer, type).inc();
  }

  sent(peer: PeerKindLabel, type: string, count = 1): void {
    this.messagesOut(peer, type).inc(count);
  }

  rejected(peer: PeerKindLabel, code: string): void {
    this.badFrames(peer, code).inc();
  }

  closed(peer: PeerKindLabel, code: number): void {
    this.closedByUs(peer, String(code)).inc();
  }

  commandEnded(command: string, outcome: string): void {
    this.commandsEnded(command, outcome).inc();
  }

  storageWritten(ms: number): void {
    this.storageWrites.observe(ms / 1000);
  }

  fannedOut(delayMs: number): void {
    this.fanoutDelay.observe(delayMs / 1000);
  }

  storageFailed(): void {
    this.storageFailures.inc();
  }

  /** The agents' connections accepted and waiting for their turn (http/connection-triage.ts). */
  watchConnectionTriage(waiting: () => number): void {
    new Gauge({
      name: 'nixfleet_agent_connections_waiting',
      help: 'Agent connections accepted and waiting for their turn (a reconnect storm shows here)',
      registers: [this.registry],
      collect(this: Gauge) {
        this.set(waiting());
      },
    });
  }

  /** Registers the gauges that read the live state when scraped. */
  watch(sources: MetricsSources): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
      new Gauge({ name, help, labelNames, registers, collect(this: Gauge) { collect(this); } });
    gauge('nixfleet_agents_connected', 'Agent sockets open', [], (g) => g.set(sources.connections().agents));
    gauge('nixfleet_browsers_connected', 'Browser sockets open', [], (g) => g.set(sources.connections().browsers));
    gauge('nixfleet_outbound_queue_bytes', 'Bytes waiting to be sent, over all peers of a kind', ['peer'], (g) => {
      for (const [peer, bytes] of Object.entries(sources.outboundBytes())) g.set({ peer }, bytes.total);
    });
    gauge('nixfleet_outbound_queue_max_bytes', 'Bytes waiting for the peer of a kind that is furthest behind', ['peer'], (g) => {
      for (const [peer, bytes] of Object.entries(sources.outboundBytes())) g.set({ peer }, bytes.max);
    });
    gauge('nixfleet_fanout_queued_messages', 'Messages waiting for the next fan-out flush', [], (g) => g.set(sources.fanoutQueued()));
    gauge('nixfleet_storage_pending_batches', 'Write batches handed to storage and not yet durable', [], (g) => g.set(sources.storagePendingBatches()));
    gauge('nixfleet_hosts', 'Hosts by status', ['status'], (g) => {
      const counts: Record<string, number> = { online: 0, offline: 0 };
      for (const host of sources.hosts()) counts[host.status] = (counts[host.status] ?? 0) + 1;
      for (const [status, count] of Object.entries(counts)) g.set({ status }, count);
    });
    gauge('nixfleet_host_last_seen_timestamp_seconds', 'When each host was last heard from', ['host'], (g) => {
      g.reset();
      for (const host of sources.hosts()) if (host.lastSeenMs !== null) g.set({ host: host.id }, host.lastSeenMs / 1000);
    });
  }
}

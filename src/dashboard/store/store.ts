// What the dashboard keeps across restarts, behind one interface with a backend per folder: SQLite
// (embedded, the default) and PostgreSQL.
//
// Reads are asynchronous and happen at start and for replays and listings; the live state is in
// memory. Writes never block the caller: they gather into a batch that the backend applies in one
// transaction per short tick (batching-store.ts).
import type { CommandStatus } from '../../protocol/constants.js';
import type { Compartments, EventLevel, HostType, Metrics, Stream, UpdateStatus } from '../../protocol/model.js';
import type { CommandOutcomeFact, TestOutcomeFact } from '../desired/compartments.js';
import type { Rollout } from '../../protocol/rollout.js';

/** A host as the dashboard knows it; times are epoch milliseconds. */
export interface HostRecord {
  id: string;
  hostname: string;
  host_type: HostType;
  status: 'online' | 'offline';
  last_seen: number | null;
  agent_version: string;
  os_version: string;
  nixpkgs_version: string;
  generation: string;
  metrics: Metrics | null;
  update_status: UpdateStatus | null;
  theme_color: string;
  location: string;
  device_type: string;
  protocol_version: number;
  heartbeat_interval_s: number;
  repo_url: string;
  repo_dir: string;
  lock_hash: string;
  source_commit: string;
  store_path: string;
  binary_hash: string;
  pending_command: string | null;
  command_pid: number | null;
  /** Full commit checked out on the host, and the one its running system came from (v1 agents). */
  repo_commit: string;
  system_commit: string;
  /** As last judged; kept so that each compartment's `since` survives a restart. */
  compartments: Compartments | null;
  /** How the host's last switch, pull-switch, force-update or rollback ended. */
  last_activation: CommandOutcomeFact | null;
  /** How the host's last test run ended, and against which system. */
  last_test: TestOutcomeFact | null;
  /** Set by the admin. */
  tags: string[];
  /** Reported by the agent (NIXFLEET_TAGS). */
  agent_tags: string[];
  /** The agent last registered with the shared token. */
  shared_token: boolean;
}

export interface CommandRecord {
  id: string;
  host_id: string;
  command: string;
  status: CommandStatus;
  exit_code: number | null;
  message: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** Lines stored so far; the next line's seq. */
  output_lines: number;
  /** The next seq expected from a v1 agent; lines below it are repeats and are dropped. */
  agent_seq_next: number;
}

export interface SessionRecord {
  id_hash: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  address: string;
}

/** A host's own agent token; only its SHA-256 is kept. */
export interface HostTokenRecord {
  host_id: string;
  token_hash: string;
  created_at: number;
}

/** A named API token for scripts and CI; only its SHA-256 is kept. */
export interface ApiTokenRecord {
  id: string;
  name: string;
  scope: 'read' | 'operate' | 'admin';
  token_hash: string;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
}

export interface EventRecord {
  id: number;
  at: number;
  level: EventLevel;
  host_id: string | null;
  message: string;
}

export interface StoredLine {
  seq: number;
  stream: Stream;
  line: string;
}

export interface Snapshot {
  meta: ReadonlyMap<string, string>;
  hosts: HostRecord[];
  /** Commands still queued, running or lost, and the most recent others, newest first. */
  commands: CommandRecord[];
  sessions: SessionRecord[];
  hostTokens: HostTokenRecord[];
  apiTokens: ApiTokenRecord[];
  /** Rollouts not yet ended, and the most recent others, newest first. */
  rollouts: Rollout[];
  lastEventId: number;
}

export interface StoreHealth {
  ok: boolean;
  /** Why writes are failing, while they are. */
  error: string | null;
  /** Batches handed to the writer and not yet durable. */
  pendingBatches: number;
  /** Batches (transactions) made durable since start. */
  batchesWritten: number;
}

export interface StoreObserver {
  written(ms: number): void;
  failed(): void;
}

export interface Store {
  /** Which backend this is, for /health and the logs. */
  readonly kind: 'sqlite' | 'postgres';
  load(recentCommands: number, recentRollouts: number): Promise<Snapshot>;
  readCommand(id: string): Promise<CommandRecord | undefined>;
  /** Stored lines with `fromSeq <= seq < beforeSeq`, at most `limit`, in order. */
  readOutput(commandId: string, fromSeq: number, beforeSeq: number, limit: number): Promise<StoredLine[]>;
  readEvents(hostId: string | null, limit: number): Promise<EventRecord[]>;
  /** The most recent rollouts, newest first; with `before`, those older than that rollout (paging). */
  readRollouts(limit: number, before?: Rollout): Promise<Rollout[]>;
  readRollout(id: string): Promise<Rollout | undefined>;

  // Writes. `put*` take the live record: what is written is its state when the batch is taken.
  // A command's output counters (output_lines, agent_seq_next) need no putCommand: they follow from
  // the stored output, and load() and readCommand() give them so.
  putHost(record: HostRecord): void;
  deleteHost(id: string): void;
  putCommand(record: CommandRecord): void;
  /** Lines of a command; `agentSeqNext` is the v1 agent's next seq once they are taken (0 for v0). */
  appendOutput(commandId: string, lines: readonly StoredLine[], agentSeqNext: number): void;
  putHostToken(record: HostTokenRecord): void;
  deleteHostToken(hostId: string): void;
  putApiToken(record: ApiTokenRecord): void;
  deleteApiToken(id: string): void;
  putSession(record: SessionRecord): void;
  deleteSession(idHash: string): void;
  putEvent(record: EventRecord): void;
  putRollout(record: Rollout): void;
  setMeta(key: string, value: string): void;
  /** Drops events older than `eventsBefore` and the output of commands finished before `outputBefore`. */
  purge(eventsBefore: number, outputBefore: number): void;

  /** Told how long each batch took to write, and of each failed attempt. */
  observe(observer: StoreObserver): void;
  /**
   * Calls back once every write made so far is durable, output lines aside: those wait to share a
   * chunk (up to OUTPUT_HOLD_MS) unless their command is named in `outputOf`, whose lines so far
   * are then waited for too. At once when nothing is waiting.
   */
  afterDurable(callback: () => void, outputOf?: Iterable<string>): void;
  /** Called once lines up to `throughSeq` of a command are durable. */
  onOutputDurable(listener: (commandId: string, throughSeq: number) => void): void;
  /** Answers a trivial query on the read connection; false when the database does not answer. */
  ping(): Promise<boolean>;
  health(): StoreHealth;
  /** Resolves once every write made so far is durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Calls back once every write made so far (and the output of the commands named) is durable, or at
 * once while storage is failing: what waits on it (an agent's delivery barrier, a command going to
 * its host, the answer that a command was accepted) must not stop with the disk. The writes are held
 * and made when storage returns.
 */
export function afterRecorded(store: Store, callback: () => void, outputOf?: Iterable<string>): void {
  if (store.health().ok) store.afterDurable(callback, outputOf);
  else callback();
}

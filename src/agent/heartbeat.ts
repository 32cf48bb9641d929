// The heartbeat: every interval while registered, what the host looks like now. It runs on its own
// timer and reads only files, so a command that runs (or floods output) never delays it. After a
// command it also goes out at once (`soon`), so the dashboard sees the new commits within a second
// rather than an interval later. After a register the first one waits a random part of the interval
// (at most 5 s): the register has just said everything but the metrics.
import type { HeartbeatPayload } from '../protocol/agent.js';
import type { MetricsSampler } from './host/metrics.js';
import type { RepoFacts } from './host/repo-facts.js';
import type { UpdateStatusBook } from './host/update-status.js';
import type { SystemFacts } from './host/system-facts.js';
import type { SystemRecord } from './host/system-record.js';
import { AGENT_VERSION } from './version.js';

/** Extra heartbeats go out at most this often; those asked for in between become one. */
export const EXTRA_HEARTBEAT_MIN_GAP_MS = 1_000;

export interface HeartbeatSources {
  metrics: MetricsSampler;
  repo: RepoFacts;
  updates: UpdateStatusBook;
  system: SystemFacts;
  systemRecord: SystemRecord;
  pending(): { pending_command: string | null; command_pid: number | null };
}

export function buildHeartbeat(sources: HeartbeatSources): HeartbeatPayload {
  const { metrics, repo, updates, system, systemRecord } = sources;
  return {
    generation: repo.generation(),
    nixpkgs_version: repo.nixpkgsVersion(),
    ...sources.pending(),
    metrics: metrics.sample(),
    update_status: updates.snapshot(),
    repo_commit: repo.commit(),
    system_commit: systemRecord.commit,
    lock_hash: repo.lockHash(),
    agent_version: AGENT_VERSION,
    os_version: system.osVersion,
    store_path: system.storePath,
  };
}

/** The first heartbeat after a `register` waits at most this long, however long the interval. */
export const FIRST_HEARTBEAT_SPREAD_MAX_MS = 5_000;

/**
 * When the first heartbeat after a `register` goes: at a random moment within the first interval (at
 * most FIRST_HEARTBEAT_SPREAD_MAX_MS). A restarted dashboard has every agent of the fleet register
 * within seconds of the others; a heartbeat from each at once would double the burst it must take
 * (each is a host_update to every browser and a write), and would tell it nothing the register did
 * not, but the metrics.
 */
export function firstHeartbeatDelayMs(intervalMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(intervalMs, FIRST_HEARTBEAT_SPREAD_MAX_MS));
}

export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private extraTimer: NodeJS.Timeout | null = null;
  private lastExtraAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly intervalMs: number,
    private readonly beat: () => void,
  ) {}

  /** Sends one after `firstAfterMs` (now by default) and then every interval. */
  start(firstAfterMs = 0): void {
    this.stop();
    if (firstAfterMs <= 0) return this.run();
    this.timer = setTimeout(() => this.run(), firstAfterMs);
  }

  private run(): void {
    this.beat();
    this.timer = setInterval(() => this.beat(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.extraTimer) clearTimeout(this.extraTimer);
    this.timer = null;
    this.extraTimer = null;
  }

  /** One more now, between the regular ones; nothing while stopped (the next `register` says it all). */
  soon(): void {
    if (!this.timer || this.extraTimer) return;
    const waitMs = this.lastExtraAt + EXTRA_HEARTBEAT_MIN_GAP_MS - performance.now();
    if (waitMs <= 0) return this.extra();
    this.extraTimer = setTimeout(() => {
      this.extraTimer = null;
      // A timer may fire a little before its time by this clock: then it waits for the rest.
      this.soon();
    }, Math.ceil(waitMs));
  }

  private extra(): void {
    this.lastExtraAt = performance.now();
    this.beat();
  }
}

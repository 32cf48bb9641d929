// The heartbeat: every interval while registered, what the host looks like now. It runs on its own
// timer and reads only files, so a command that runs (or floods output) never delays it.
import type { HeartbeatPayload } from '../protocol/agent.js';
import type { MetricsSampler } from './host/metrics.js';
import type { RepoFacts } from './host/repo-facts.js';
import type { UpdateStatusBook } from './host/update-status.js';
import type { SystemFacts } from './host/system-facts.js';
import { AGENT_VERSION } from './version.js';

export interface HeartbeatSources {
  metrics: MetricsSampler;
  repo: RepoFacts;
  updates: UpdateStatusBook;
  system: SystemFacts;
  pending(): { pending_command: string | null; command_pid: number | null };
}

export function buildHeartbeat(sources: HeartbeatSources): HeartbeatPayload {
  const { metrics, repo, updates, system } = sources;
  return {
    generation: repo.generation(),
    nixpkgs_version: repo.nixpkgsVersion(),
    ...sources.pending(),
    metrics: metrics.sample(),
    update_status: updates.snapshot(),
    lock_hash: repo.lockHash(),
    agent_version: AGENT_VERSION,
    os_version: system.osVersion,
    store_path: system.storePath,
  };
}

export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly beat: () => void,
  ) {}

  /** Sends one now and then every interval. */
  start(): void {
    this.stop();
    this.beat();
    this.timer = setInterval(() => this.beat(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

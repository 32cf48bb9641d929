// Keeps every host's compartments current: judges a host again whenever it is published (register,
// heartbeat, its commands) and the whole fleet when the desired state or the fleet's newest agent
// version changes, and dates each compartment by when its status last changed.
import { COMPARTMENT_NAMES, type Compartments } from '../../protocol/model.js';
import type { CommandRecord, HostRecord } from '../store/store.js';
import {
  ACTIVATING_COMMANDS,
  compareVersions,
  isVersion,
  judgeHost,
  TEST_COMMANDS,
} from './compartments.js';
import type { DesiredTracker } from './desired-tracker.js';

/** Command ends that say nothing about the host: the command never reached it. */
const NEVER_RAN: ReadonlySet<string> = new Set(['cancelled', 'expired']);

export class CompartmentTracker {
  /** The newest nixfleet-agent version among the hosts, unless one is configured. */
  private newestAgentVersion: string | null = null;
  /** Each v1 host's agent version, to find the newest again when a host's goes down or it is removed. */
  private readonly agentVersions = new Map<string, string>();

  constructor(
    private readonly desired: DesiredTracker,
    private readonly configuredAgentVersion: string | undefined,
  ) {}

  private get targetAgentVersion(): string | null {
    return this.configuredAgentVersion ?? this.newestAgentVersion;
  }

  /**
   * Takes note of a host's agent version. True when the fleet's newest version moved, so that every
   * other host must be judged again. The newest is of the hosts there are now: a host that goes back
   * to an older version, or is removed, no longer sets it.
   */
  noteAgentVersion(record: HostRecord): boolean {
    // An agent that cannot tell its version (`unknown`) sets no target.
    const version = record.protocol_version >= 1 && isVersion(record.agent_version) ? record.agent_version : '';
    const before = this.agentVersions.get(record.id);
    if ((before ?? '') === version) return false;
    if (version) this.agentVersions.set(record.id, version);
    else this.agentVersions.delete(record.id);
    if (version && (this.newestAgentVersion === null || compareVersions(version, this.newestAgentVersion) > 0)) return this.newest(version);
    // Only a host that had the newest version can lower it: then every host is looked at (rare).
    return before === this.newestAgentVersion ? this.newest(this.findNewest()) : false;
  }

  /** The host is gone: true when the fleet's newest version moved. */
  hostRemoved(hostId: string): boolean {
    const before = this.agentVersions.get(hostId);
    if (before === undefined) return false;
    this.agentVersions.delete(hostId);
    return before === this.newestAgentVersion ? this.newest(this.findNewest()) : false;
  }

  private findNewest(): string | null {
    let newest: string | null = null;
    for (const version of this.agentVersions.values()) if (newest === null || compareVersions(version, newest) > 0) newest = version;
    return newest;
  }

  private newest(version: string | null): boolean {
    if (version === this.newestAgentVersion) return false;
    this.newestAgentVersion = version;
    return this.configuredAgentVersion === undefined;
  }

  /** Records what a command that ended says about its host's system and tests. */
  noteCommandEnded(record: HostRecord, command: CommandRecord): void {
    if (NEVER_RAN.has(command.status)) return;
    const fact = { command: command.command, status: command.status, message: command.message, at: command.finished_at ?? Date.now() };
    if (ACTIVATING_COMMANDS.has(command.command)) record.last_activation = fact;
    if (TEST_COMMANDS.has(command.command)) record.last_test = { ...fact, system_commit: record.system_commit };
  }

  /**
   * Judges the host again and keeps the result in its record. `changed` says whether a
   * compartment's status or message changed; a status that changed is dated now, one that stayed
   * keeps its date.
   */
  update(record: HostRecord, running: string | null, now = Date.now()): { compartments: Compartments; changed: boolean } {
    const commit = record.repo_commit || record.generation;
    const verdicts = judgeHost({
      host: record,
      running,
      desired: this.desired.current(),
      targetAgentVersion: this.targetAgentVersion,
      commitsBehind: commit ? this.desired.commitsBehind(commit) : null,
    });
    const previous = record.compartments;
    let changed = previous === null;
    const since = new Date(now).toISOString();
    const next = {} as Compartments;
    for (const name of COMPARTMENT_NAMES) {
      const verdict = verdicts[name];
      const before = previous?.[name];
      const sameStatus = before?.status === verdict.status;
      if (!sameStatus || before?.message !== verdict.message) changed = true;
      next[name] = { status: verdict.status, message: verdict.message, since: sameStatus ? (before?.since ?? since) : since };
    }
    if (!changed && previous !== null) return { compartments: previous, changed };
    record.compartments = next;
    return { compartments: next, changed };
  }
}

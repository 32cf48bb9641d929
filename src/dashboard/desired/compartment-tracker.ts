// Keeps every host's compartments current: judges a host again whenever it is published (register,
// heartbeat, its commands) and the whole fleet when the desired state or the fleet's newest agent
// version changes, and dates each compartment by when its status last changed.
import { COMPARTMENT_NAMES, type Compartments } from '../../protocol/model.js';
import type { CommandRecord, HostRecord } from '../store/store.js';
import {
  ACTIVATING_COMMANDS,
  compareVersions,
  judgeHost,
  TEST_COMMANDS,
} from './compartments.js';
import type { DesiredTracker } from './desired-tracker.js';

/** Command ends that say nothing about the host: the command never reached it. */
const NEVER_RAN: ReadonlySet<string> = new Set(['cancelled', 'expired']);

export class CompartmentTracker {
  /** The newest nixfleet-agent version among the hosts, unless one is configured. */
  private newestAgentVersion: string | null = null;

  constructor(
    private readonly desired: DesiredTracker,
    private readonly configuredAgentVersion: string | undefined,
  ) {}

  private get targetAgentVersion(): string | null {
    return this.configuredAgentVersion ?? this.newestAgentVersion;
  }

  /**
   * Takes note of a host's agent version. True when the fleet's newest version moved, so that every
   * other host must be judged again.
   */
  noteAgentVersion(record: HostRecord): boolean {
    if (record.protocol_version < 1 || !record.agent_version) return false;
    if (this.newestAgentVersion !== null && compareVersions(record.agent_version, this.newestAgentVersion) <= 0) return false;
    this.newestAgentVersion = record.agent_version;
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

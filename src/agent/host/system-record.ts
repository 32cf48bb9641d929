// Which commit of the flake repository the running system was built from (`system_commit`), as far
// as this agent knows: it writes down the commit of every activation it sees succeed, and keeps the
// one before, which is what a rollback returns to. The dashboard compares it with the checked-out
// commit: when they differ, a switch is pending.
//
// Kept in the state dir (system.json), so an agent restart (which every switch causes) keeps it.
import type { Logger } from 'pino';
import { Type, type Static } from '@sinclair/typebox';
import { StateFile } from '../state-file.js';

const SYSTEM_FILE = 'system.json';
/** A full commit, or '' for not known; the protocol refuses anything else. */
const COMMIT_OR_UNKNOWN = '^([0-9a-f]{40,64})?$';
const Commit = Type.String({ pattern: COMMIT_OR_UNKNOWN });
const SystemFile = Type.Object({
  /** What the running system was switched from. */
  commit: Commit,
  /** What it was switched from before the last switch: where a rollback goes. */
  previous: Commit,
});
type SystemFile = Static<typeof SystemFile>;

const UNKNOWN: SystemFile = { commit: '', previous: '' };

export class SystemRecord {
  private readonly file: StateFile<typeof SystemFile>;
  private current: SystemFile = UNKNOWN;

  constructor(
    stateDir: string,
    private readonly log: Logger,
  ) {
    this.file = new StateFile(stateDir, SYSTEM_FILE, SystemFile, 'a record of the running system');
  }

  /** Reads what an earlier agent process recorded; a file that is not a record is reported and ignored. */
  load(): void {
    const { value, problem } = this.file.read();
    if (problem) this.log.warn(problem);
    this.current = value ?? UNKNOWN;
  }

  /** The commit the running system was switched from; '' when not known. */
  get commit(): string {
    return this.current.commit;
  }

  /** An activation built from `commit` ('' when that is not known) succeeded. */
  switched(commit: string): void {
    const known = new RegExp(COMMIT_OR_UNKNOWN).test(commit) ? commit : '';
    this.save({ commit: known, previous: this.current.commit });
  }

  /** A rollback succeeded: the system is the one before the last switch, if this agent saw that one. */
  rolledBack(): void {
    // A second rollback goes further back than this record reaches.
    this.save({ commit: this.current.previous, previous: '' });
  }

  private save(next: SystemFile): void {
    this.current = next;
    try {
      this.file.write(next);
    } catch (err) {
      // The record in memory still serves this process; the next one starts from the old file.
      this.log.warn({ err }, `cannot write ${this.file.path}`);
    }
  }
}

// What the agent keeps in its state dir across its own restarts: the command it was running, and for
// a detached program (a switch) where its run log is. The next agent process reads it to report that
// command to the end instead of letting the dashboard give it up as lost.
import fs from 'node:fs';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { StateFile } from './state-file.js';

const RUNNING_FILE = 'running.json';
const RUNS_DIR = 'runs';

const PipedStep = Type.Object({ detached: Type.Literal(false), pid: Type.Integer() });
const DetachedStep = Type.Object({
  detached: Type.Literal(true),
  pid: Type.Integer(),
  log: Type.String(),
  /** The seq of the log's first line: the lines before it came from earlier steps of the command. */
  seq_base: Type.Integer({ minimum: 0 }),
  /**
   * The repository's full commit when the step started ('' before the first clone): what an
   * activation is built from, whichever agent process sees it end. Older agents did not record it.
   */
  repo_commit: Type.Optional(Type.String()),
});

export const PersistedRun = Type.Object({
  command_id: Type.String({ minLength: 1 }),
  command: Type.String({ minLength: 1 }),
  started_at: Type.Number(),
  /** The program the command runs now, if any. */
  step: Type.Union([PipedStep, DetachedStep, Type.Null()]),
});
export type PersistedRun = Static<typeof PersistedRun>;

export class RunState {
  private readonly file: StateFile<typeof PersistedRun>;
  private readonly runsDir: string;

  /**
   * `failed` hears of a record that could not be written or removed (a full or read-only disk): the
   * command goes on and is reported by this process; only a restart meanwhile would not know it.
   */
  constructor(
    stateDir: string,
    private readonly failed: (err: Error) => void = () => {},
  ) {
    this.file = new StateFile(stateDir, RUNNING_FILE, PersistedRun, 'a run record');
    this.runsDir = path.join(stateDir, RUNS_DIR);
  }

  /** The run a previous agent process left, or null. A file that is not one is reported, not trusted. */
  read(): { run: PersistedRun | null; problem: string | null } {
    const { value, problem } = this.file.read();
    return { run: value, problem };
  }

  /** Written whole or not at all: a crash mid-write leaves the previous record. */
  write(run: PersistedRun): void {
    this.tolerate(() => this.file.write(run));
  }

  /** The command is reported: forget it and its run log. */
  clear(run: PersistedRun | null): void {
    // The log first: a record whose log is gone is reported as such, a log without a record is litter.
    this.tolerate(() => {
      if (run?.step?.detached) fs.rmSync(run.step.log, { force: true });
      this.file.remove();
    });
  }

  private tolerate(change: () => void): void {
    try {
      change();
    } catch (err) {
      this.failed(err as Error);
    }
  }

  logPathFor(commandId: string): string {
    fs.mkdirSync(this.runsDir, { recursive: true, mode: 0o700 });
    return path.join(this.runsDir, `${commandId.replace(/[^A-Za-z0-9_-]/g, '_')}.log`);
  }
}

// Where the background checks run their programs: started like a command's steps (step-process.ts),
// but their output goes nowhere but the debug log, and the whole round can be abandoned when a
// command needs the host. An abandoned round records nothing: a fetch cut short is no git error.
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import type { RepoFacts } from '../host/repo-facts.js';
import type { UpdateStatusBook } from '../host/update-status.js';
import { startPiped, type RunningProcess, type StepResult } from '../executor/process-group.js';
import { signalGroup } from '../../util/group-signals.js';
import { processSpecOf } from '../commands/step-process.js';
import type { StepSpec } from '../commands/context.js';
import type { CheckContext } from './checks.js';

export class QuietRun implements CheckContext {
  readonly updates: Pick<UpdateStatusBook, 'set'>;
  lastErrorLine = '';
  private current: RunningProcess | null = null;
  private abandonedFlag = false;

  constructor(
    readonly config: AgentConfig,
    readonly repo: RepoFacts,
    book: Pick<UpdateStatusBook, 'set'>,
    private readonly log: Logger,
  ) {
    this.updates = {
      set: (name, status, message, now) => {
        if (!this.abandonedFlag) book.set(name, status, message, now);
      },
    };
  }

  get abandoned(): boolean {
    return this.abandonedFlag;
  }

  async run(step: StepSpec): Promise<StepResult> {
    if (this.abandonedFlag) return { exitCode: null, signal: 'SIGTERM', error: null };
    const spec = processSpecOf(this.config, step);
    this.lastErrorLine = '';
    this.log.debug({ argv: spec.argv }, 'background check runs');
    const running = startPiped(spec, (stream, line) => {
      if (stream === 'stderr' && line.trim()) this.lastErrorLine = line.trim();
      if (stream === 'stdout') step.collect?.push(line);
      this.log.debug({ stream, line }, 'background check output');
    });
    this.current = running;
    try {
      return await running.done;
    } finally {
      this.current = null;
    }
  }

  /** Ends the program that runs now (its whole process group) and every later one before it starts. */
  abandon(): void {
    this.abandonedFlag = true;
    const running = this.current;
    const pid = running?.pid;
    if (!running || !pid) return;
    signalGroup(pid, 'SIGTERM');
    setTimeout(() => {
      if (this.current === running) signalGroup(pid, 'SIGKILL');
    }, this.config.stopGraceMs).unref();
  }
}

// The agent keeps its facts fresh by itself: every refresh interval (jittered, so a fleet does not
// fetch in step) it runs the git, lock and system checks, and after a command that may have changed
// some of them it checks those again. It only updates the update_status book: the next heartbeat
// carries it, so this costs the dashboard nothing.
//
// Never while a command runs, and never two rounds at once: a command about to start holds the
// refresher (a round in progress is abandoned, its programs ended, and what it had not finished is
// wanted again); once the command is reported, what came due meanwhile runs.
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import type { RepoFacts } from '../host/repo-facts.js';
import type { UpdateStatusBook } from '../host/update-status.js';
import { CHECKS, FRESH_CHECKS, type FreshCheck } from './checks.js';
import { QuietRun } from './quiet-run.js';

/** Each interval is drawn from ± this fraction around the setting. */
export const REFRESH_JITTER_FRACTION = 0.1;

/** The interval to wait this time: `intervalMs` moved by up to ± the jitter fraction. */
export function jitteredMs(intervalMs: number, random: () => number = Math.random): number {
  return Math.round(intervalMs * (1 + REFRESH_JITTER_FRACTION * (2 * random() - 1)));
}

export interface RefresherParts {
  config: AgentConfig;
  repo: RepoFacts;
  updates: Pick<UpdateStatusBook, 'set'>;
  log: Logger;
}

export class Refresher {
  private timer: NodeJS.Timeout | null = null;
  /** Checks asked for and not run yet. */
  private readonly wanted = new Set<FreshCheck>();
  private round: { run: QuietRun; done: Promise<void> } | null = null;
  private held = false;
  private stopped = false;

  constructor(private readonly parts: RefresherParts) {}

  /** Starts the periodic rounds, the first one interval from now (the book from the state dir serves until then). */
  start(): void {
    if (this.parts.config.refreshIntervalMs !== null) this.schedule(this.parts.config.refreshIntervalMs);
  }

  /** The agent ends: no more rounds, and the programs of one in progress are ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.hold();
  }

  /** A command is about to run: resolves once no check runs, and none starts until `release`. */
  async hold(): Promise<void> {
    this.held = true;
    const round = this.round;
    if (!round) return;
    round.run.abandon();
    await round.done;
  }

  /** The command is reported: check again what it changed, and whatever came due while it ran. */
  release(changed: readonly FreshCheck[]): void {
    this.held = false;
    for (const name of changed) this.wanted.add(name);
    this.pump();
  }

  private schedule(intervalMs: number): void {
    this.timer = setTimeout(() => {
      for (const name of FRESH_CHECKS) this.wanted.add(name);
      this.pump();
      this.schedule(intervalMs);
    }, jitteredMs(intervalMs));
    this.timer.unref();
  }

  private pump(): void {
    if (this.held || this.stopped || this.round || this.wanted.size === 0) return;
    const names = FRESH_CHECKS.filter((name) => this.wanted.has(name));
    this.wanted.clear();
    const { config, repo, updates, log } = this.parts;
    const run = new QuietRun(config, repo, updates, log);
    const done = this.runRound(run, names).finally(() => {
      this.round = null;
      this.pump();
    });
    this.round = { run, done };
  }

  private async runRound(run: QuietRun, names: readonly FreshCheck[]): Promise<void> {
    for (const name of names) {
      if (!run.abandoned) {
        try {
          const outcome = await CHECKS[name](run);
          this.parts.log.debug({ check: name, status: outcome.status }, `background check: ${outcome.message}`);
        } catch (err) {
          this.parts.log.error({ err, check: name }, 'background check failed inside the agent');
        }
      }
      // Cut short by a command (now or before it started): wanted again once the command is over.
      if (run.abandoned) this.wanted.add(name);
    }
  }
}

// How many commits a host's checkout is behind the desired commit. Compartments are computed far more
// often than git can answer, so answers are kept per desired commit, found one at a time in the
// background, and whoever asked is told when one arrives.
import type { Logger } from 'pino';

/** Distinct host commits remembered for the current desired commit; a fleet has a handful at a time. */
export const BEHIND_CACHE_MAX_ENTRIES = 1024;
/** Questions waiting for git; past this, the answer is "cannot tell" until the queue drains. */
export const BEHIND_QUEUE_MAX = 1024;

/** Counts with git: how many commits `commit` is behind `desired`, null when it cannot tell. */
export type CountBehind = (commit: string, desired: string, signal: AbortSignal) => Promise<number | null>;

export class BehindCounter {
  private desired = '';
  /** Answers for the current desired commit, oldest first (a Map keeps insertion order). */
  private readonly known = new Map<string, number | null>();
  private readonly waiting: string[] = [];
  private readonly pending = new Set<string>();
  private running: AbortController | null = null;
  private readonly listeners: ((commit: string) => void)[] = [];
  private stopped = false;

  constructor(
    private readonly count: CountBehind,
    private readonly log?: Logger,
  ) {}

  /** The desired commit changed: every answer was relative to the old one. */
  setDesired(desired: string): void {
    if (desired === this.desired) return;
    this.desired = desired;
    this.known.clear();
    this.waiting.length = 0;
    this.pending.clear();
    // Its answer would be about the old commit.
    this.running?.abort();
  }

  /** The answer if known; otherwise undefined and it is being found out (null: cannot tell now). */
  answer(commit: string): number | null | undefined {
    if (this.known.has(commit)) {
      const behind = this.known.get(commit) ?? null;
      // Recently asked stays: the oldest is what gets dropped.
      this.known.delete(commit);
      this.known.set(commit, behind);
      return behind;
    }
    if (this.stopped || this.desired === '') return null;
    if (!this.pending.has(commit)) {
      if (this.pending.size >= BEHIND_QUEUE_MAX) return null;
      this.pending.add(commit);
      this.waiting.push(commit);
      this.next();
    }
    return undefined;
  }

  /** Told with the host commit (as asked) whose answer became known. */
  onKnown(listener: (commit: string) => void): void {
    this.listeners.push(listener);
  }

  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
    this.pending.clear();
    this.running?.abort();
  }

  /** One git at a time: a fleet asks about few commits, and the mirror's fetch must not wait for these. */
  private next(): void {
    if (this.running || this.stopped) return;
    const commit = this.waiting.shift();
    if (commit === undefined) return;
    const desired = this.desired;
    const controller = new AbortController();
    this.running = controller;
    void this.count(commit, desired, controller.signal)
      .catch((err: unknown) => {
        if (controller.signal.aborted) return undefined;
        // Remembered as "cannot tell": asking git again for every computation would not help.
        this.log?.warn({ err, commit }, 'desired state: cannot count commits behind');
        return null;
      })
      .then((behind) => {
        this.running = null;
        if (behind !== undefined && !controller.signal.aborted && desired === this.desired) this.remember(commit, behind);
        this.next();
      });
  }

  private remember(commit: string, behind: number | null): void {
    this.pending.delete(commit);
    this.known.set(commit, behind);
    const oldest = this.known.keys().next();
    if (this.known.size > BEHIND_CACHE_MAX_ENTRIES && !oldest.done) this.known.delete(oldest.value);
    for (const listener of this.listeners) {
      try {
        listener(commit);
      } catch (err) {
        this.log?.error({ err }, 'desired state: a commits-behind listener failed');
      }
    }
  }
}

// A misconfigured agent retries every few seconds, and each try is refused for the same reason: one
// event per try would bury everything else in the event log. So an event that a source repeats is
// recorded once, and its repeats are counted:
//
// - the first from a source is recorded at once (the admin sees the problem as it starts);
// - the same message from that source within the window only counts;
// - when the window ends, the count is recorded as one summary ("… (repeated 37 more times in the
//   last 10 min)"), and the summary opens the next window: a problem that lasts gives one event per
//   window. A window without repeats ends quietly and the source is forgotten;
// - a different message from that source (the reason changed) first records the count of the old one;
// - flush() records every count still open (the dashboard is stopping).
import type { EventLevel } from '../protocol/model.js';

export const REPEAT_WINDOW_MS = 10 * 60_000;

export type RecordEvent = (level: EventLevel, message: string, hostId: string | null) => void;

interface Run {
  level: EventLevel;
  message: string;
  hostId: string | null;
  /** Reports of the message since the last event recorded for it. */
  repeats: number;
  timer: NodeJS.Timeout;
}

/** "10 min", "30 s": the window as a person reads it. */
export function describeWindow(windowMs: number): string {
  if (windowMs >= 60_000 && windowMs % 60_000 === 0) return `${windowMs / 60_000} min`;
  if (windowMs >= 1_000 && windowMs % 1_000 === 0) return `${windowMs / 1_000} s`;
  return `${windowMs} ms`;
}

export function repeatSummary(message: string, repeats: number, windowMs: number): string {
  return `${message} (repeated ${repeats} more ${repeats === 1 ? 'time' : 'times'} in the last ${describeWindow(windowMs)})`;
}

export class RepeatedEvents {
  private readonly runs = new Map<string, Run>();

  constructor(
    private readonly record: RecordEvent,
    readonly windowMs = REPEAT_WINDOW_MS,
  ) {}

  /**
   * Records `message`, or counts it when `source` (whose repeats these are, e.g. an agent's address
   * and hostname) reported the same within the window.
   */
  report(source: string, level: EventLevel, message: string, hostId: string | null = null): void {
    const run = this.runs.get(source);
    if (run?.message === message) {
      run.repeats += 1;
      return;
    }
    if (run) this.end(source, run);
    this.record(level, message, hostId);
    this.runs.set(source, { level, message, hostId, repeats: 0, timer: this.startWindow(source) });
  }

  /** Records every count still open and forgets every source. */
  flush(): void {
    for (const [source, run] of this.runs) this.end(source, run);
  }

  private windowEnded(source: string): void {
    const run = this.runs.get(source);
    if (!run) return;
    if (run.repeats === 0) {
      this.runs.delete(source);
      return;
    }
    this.recordSummary(run);
    run.timer = this.startWindow(source);
  }

  private startWindow(source: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.windowEnded(source), this.windowMs);
    timer.unref(); // a window still open must not keep a stopping process alive
    return timer;
  }

  private end(source: string, run: Run): void {
    clearTimeout(run.timer);
    this.runs.delete(source);
    if (run.repeats > 0) this.recordSummary(run);
  }

  private recordSummary(run: Run): void {
    this.record(run.level, repeatSummary(run.message, run.repeats, this.windowMs), run.hostId);
    run.repeats = 0;
  }
}

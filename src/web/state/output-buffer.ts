// The output of one command as far as this browser has it: lines 0 … n-1 with no holes. Lines come
// from the live stream and from replays, which may overlap or arrive out of order; merging by seq
// drops repeats and holds early arrivals until the lines before them are in.
import type { OutputLine } from '../../protocol/model.js';
import { Observable } from './observable.js';

export class OutputBuffer extends Observable {
  /** Dense: `lines[i].seq === i`. */
  readonly lines: OutputLine[] = [];
  /** Lines that arrived before the ones in front of them, by seq. */
  private readonly ahead = new Map<number, OutputLine>();
  private waitingForReplay = false;
  /** Who the output belongs to, once any answer has said so. */
  origin: { host_id: string; command: string } | null = null;

  constructor(readonly commandId: string) {
    super();
  }

  /** The seq of the first line this buffer still lacks. */
  get nextSeq(): number {
    return this.lines.length;
  }

  /** A replay was asked for and its answer has not arrived yet (the tab says it is loading). */
  get replayPending(): boolean {
    return this.waitingForReplay;
  }

  setReplayPending(pending: boolean): void {
    if (pending === this.waitingForReplay) return;
    this.waitingForReplay = pending;
    this.changed();
  }

  /** Lines are waiting for earlier ones that have not arrived. */
  get hasGap(): boolean {
    return this.ahead.size > 0;
  }

  merge(lines: readonly OutputLine[]): void {
    const before = this.lines.length;
    for (const line of lines) {
      if (line.seq < this.lines.length) continue;
      if (line.seq > this.lines.length) {
        this.ahead.set(line.seq, line);
        continue;
      }
      this.lines.push(line);
      this.drainAhead();
    }
    if (this.lines.length !== before) this.changed();
  }

  /** The whole log as text, one line per line. */
  text(): string {
    return this.lines.map((l) => l.line).join('\n');
  }

  private drainAhead(): void {
    for (let next = this.ahead.get(this.lines.length); next; next = this.ahead.get(this.lines.length)) {
      this.ahead.delete(next.seq);
      this.lines.push(next);
    }
  }
}

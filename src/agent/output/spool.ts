// The output lines of one command on their way to the dashboard.
//
// A line is first *unsent*; it gets its `seq` when it first goes into a frame and stays *in flight*
// until a delivery barrier proves the dashboard read it. After a reconnect everything in flight is
// sent again with the same numbers (the dashboard drops the repeats by `seq`), so a frame lost with a
// socket is never a lost line.
//
// The spool is bounded. While the dashboard is unreachable, a command that keeps printing would fill
// memory; past the bound the oldest unsent lines are replaced by one line saying how many were
// dropped. Numbers are given at sending time, so that line takes a `seq` like any other and the
// dashboard sees a dense sequence, not a gap.
import type { OutputLine, Stream } from '../../protocol/model.js';

export interface PendingLine {
  stream: Stream;
  line: string;
}

/** JSON framing around one line in an output frame: {"seq":…,"stream":"stdout","line":""}. */
const LINE_OVERHEAD_BYTES = 48;
const COMPACT_AFTER_LINES = 1_024;

export function droppedLinesNotice(count: number, bound: number): string {
  return `[nixfleet-agent] ${count} output line${count === 1 ? '' : 's'} dropped: the dashboard was unreachable and the agent keeps at most ${bound}`;
}

export class OutputSpool {
  /** Unsent lines; `head` is the index of the oldest, so dropping from the front costs nothing. */
  private unsent: PendingLine[] = [];
  private head = 0;
  /** Unsent lines dropped at the front since the last notice went out. */
  private dropped = 0;
  /** Sent lines not yet known to be delivered, in seq order. */
  private inFlight: OutputLine[] = [];
  /** Index into inFlight of the first line to send (again). */
  private resendFrom = 0;
  private nextSeq: number;

  /**
   * @param boundLines lines kept at most (unsent and in flight together)
   * @param seqBase the seq the first line gets; a command resumed by a new agent process continues
   *   its numbering
   */
  constructor(
    readonly boundLines: number,
    seqBase = 0,
  ) {
    this.nextSeq = seqBase;
  }

  get unsentCount(): number {
    return this.unsent.length - this.head + (this.dropped > 0 ? 1 : 0);
  }

  get inFlightCount(): number {
    return this.inFlight.length;
  }

  /** Lines that could still be added before the oldest would be dropped. */
  get room(): number {
    return Math.max(0, this.boundLines - (this.unsent.length - this.head) - this.inFlight.length);
  }

  /** The seq the next unsent line will get: where a command's numbering stands once all is sent. */
  get seqAfterUnsent(): number {
    return this.nextSeq + this.unsentCount;
  }

  /** Whether anything is waiting to be sent (new lines, or lines to send again). */
  get hasWork(): boolean {
    return this.resendFrom < this.inFlight.length || this.unsentCount > 0;
  }

  /** Everything was sent and is known to be delivered. */
  get settled(): boolean {
    return this.inFlight.length === 0 && this.unsentCount === 0;
  }

  push(stream: Stream, line: string): void {
    if (this.room === 0) this.dropOldest();
    this.unsent.push({ stream, line });
  }

  /**
   * The next frame's lines: first those to send again, then new ones, numbered now. New lines are only
   * taken while fewer than `maxInFlight` are unconfirmed, so a dead socket strands a bounded amount.
   */
  take(maxLines: number, maxBytes: number, maxInFlight: number): OutputLine[] {
    const lines: OutputLine[] = [];
    let bytes = 0;
    const fits = (line: string) => lines.length < maxLines && (lines.length === 0 || bytes + cost(line) <= maxBytes);
    while (this.resendFrom < this.inFlight.length) {
      const line = this.inFlight[this.resendFrom] as OutputLine;
      if (!fits(line.line)) return lines;
      lines.push(line);
      bytes += cost(line.line);
      this.resendFrom += 1;
    }
    while (this.inFlight.length < maxInFlight) {
      const next = this.peekUnsent();
      if (!next || !fits(next.line)) break;
      this.shiftUnsent();
      const numbered: OutputLine = { seq: this.nextSeq, stream: next.stream, line: next.line };
      this.nextSeq += 1;
      this.inFlight.push(numbered);
      this.resendFrom = this.inFlight.length;
      lines.push(numbered);
      bytes += cost(next.line);
    }
    return lines;
  }

  /** The dashboard has every line through `seq`. */
  delivered(seq: number): void {
    let count = 0;
    while (count < this.inFlight.length && (this.inFlight[count] as OutputLine).seq <= seq) count += 1;
    if (count === 0) return;
    this.inFlight = this.inFlight.slice(count);
    this.resendFrom = Math.max(0, this.resendFrom - count);
  }

  /** The socket was lost: whatever is in flight may not have arrived and goes again. */
  rewind(): void {
    this.resendFrom = 0;
  }

  /** The highest seq sent on the current socket with every line before it: what a barrier confirms. */
  get sentThroughSeq(): number {
    return this.resendFrom > 0 ? (this.inFlight[this.resendFrom - 1] as OutputLine).seq : -1;
  }

  private dropOldest(): void {
    if (this.head >= this.unsent.length) return;
    this.head += 1;
    this.dropped += 1;
    this.compact();
  }

  /** Taken lines stay in the array before `head`; now and then they are cut off so it cannot grow without bound. */
  private compact(): void {
    if (this.head === this.unsent.length) {
      this.unsent = [];
      this.head = 0;
    } else if (this.head > COMPACT_AFTER_LINES && this.head * 2 > this.unsent.length) {
      this.unsent = this.unsent.slice(this.head);
      this.head = 0;
    }
  }

  private peekUnsent(): PendingLine | undefined {
    if (this.dropped > 0) return { stream: 'stderr', line: droppedLinesNotice(this.dropped, this.boundLines) };
    return this.unsent[this.head];
  }

  private shiftUnsent(): void {
    if (this.dropped > 0) {
      this.dropped = 0;
      return;
    }
    this.head += 1;
    this.compact();
  }
}

function cost(line: string): number {
  // Bytes in UTF-8 are at most three per UTF-16 unit; an estimate that never undercounts much is enough.
  return line.length * 3 + LINE_OVERHEAD_BYTES;
}

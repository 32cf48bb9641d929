// One command followed to its end: its output lines printed once each, in seq order, whichever way
// they came (the replay of `get_output`, live `command_output` frames, both overlapping), and the
// moment it is over. The dashboard numbers a command's lines 0, 1, 2, … without gaps
// (docs/protocol.md, "Output lines"), so a line is printed exactly when every line before it was.
import { FINAL_COMMAND_STATUSES, type CommandStatus } from '../protocol/constants.js';
import type { Command, OutputLine } from '../protocol/model.js';

export interface CommandWatchIo {
  /** Lines to print, in order, each once. */
  print(lines: readonly OutputLine[]): void;
  /** Ask the dashboard for the stored lines from `fromSeq` on (`get_output`). */
  requestReplay(fromSeq: number): void;
}

/**
 * Whether a command is over for someone waiting on it. `lost` counts, although a late report may
 * still settle it: rollouts count it as a failure too, and a script must not wait for ever.
 */
export function isEnded(status: CommandStatus): boolean {
  return FINAL_COMMAND_STATUSES.has(status) || status === 'lost';
}

export class CommandWatch {
  /** The next line to print. */
  private next: number;
  /** Lines that came before the ones preceding them, by seq. */
  private readonly early = new Map<number, OutputLine>();
  /**
   * The one `get_output` in flight, if any. One at a time, so that each answer is known to belong to
   * its request; `afterEnd`: asked once the end was known, so its answer is all there will be.
   */
  private inFlight: { afterEnd: boolean } | null = null;
  /** Another replay is needed once the one in flight is answered. */
  private replayWanted = false;
  private ending: Command | null = null;
  private finished = false;
  private readonly waiters: ((command: Command) => void)[] = [];

  constructor(
    readonly commandId: string,
    private readonly io: CommandWatchIo,
    /** Lines before this one were printed already (from the HTTP API). */
    startSeq = 0,
  ) {
    this.next = startSeq;
  }

  /** The end of the command once every line before it was printed; null until then. */
  get ended(): Command | null {
    return this.finished ? this.ending : null;
  }

  /** Resolves with the command's final record once it ended and its output is printed. */
  done(): Promise<Command> {
    const ended = this.ended;
    if (ended) return Promise.resolve(ended);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Catch up from the first line not printed: at the start, after a resync, and after a reconnect
   * (`newSocket`: a request made on the old socket will never be answered).
   */
  resume(newSocket = false): void {
    if (this.finished) return;
    if (newSocket) this.inFlight = null;
    this.askReplay();
  }

  /** A live `command_output` frame. */
  onLive(lines: readonly OutputLine[]): void {
    if (this.finished) return;
    this.take(lines);
    // A line beyond a hole that no replay is filling: ask for the hole.
    if (this.early.size > 0 && this.inFlight === null) this.askReplay();
  }

  /** The answer to `get_output`. */
  onReplay(lines: readonly OutputLine[], more: boolean): void {
    if (this.finished) return;
    const request = this.inFlight;
    this.inFlight = null;
    this.take(lines);
    if (more || this.replayWanted) {
      this.replayWanted = false;
      return this.askReplay();
    }
    // Everything stored was in the answer: a hole left now is output the dashboard no longer has
    // (older than its retention). Print what follows it rather than wait for ever.
    this.skipHoles();
    if (request?.afterEnd && this.ending) return this.finish();
    this.checkEnd();
  }

  /** Any record of the command: from `init`, `command_queued`, `command_update` or the HTTP API. */
  onRecord(command: Command): void {
    if (this.finished || this.ending || !isEnded(command.status)) return;
    this.ending = command;
    this.checkEnd();
  }

  private checkEnd(): void {
    const ending = this.ending;
    if (!ending || this.finished) return;
    if (this.next >= ending.output_lines) return this.finish();
    // Lines stored before the end have not all arrived (live frames are coalesced a few ms after
    // the status goes out): a replay brings them, and its answer is the last word.
    this.askReplay();
  }

  private askReplay(): void {
    if (this.inFlight) {
      this.replayWanted = true;
      return;
    }
    this.inFlight = { afterEnd: this.ending !== null };
    this.io.requestReplay(this.next);
  }

  private take(lines: readonly OutputLine[]): void {
    for (const line of lines) if (line.seq >= this.next) this.early.set(line.seq, line);
    this.printReady();
  }

  private printReady(): void {
    const ready: OutputLine[] = [];
    for (let line = this.early.get(this.next); line !== undefined; line = this.early.get(this.next)) {
      ready.push(line);
      this.early.delete(this.next);
      this.next++;
    }
    if (ready.length > 0) this.io.print(ready);
  }

  private skipHoles(): void {
    while (this.early.size > 0) {
      let lowest = Infinity;
      for (const seq of this.early.keys()) lowest = Math.min(lowest, seq);
      this.next = lowest;
      this.printReady();
    }
  }

  private finish(): void {
    const ending = this.ending;
    if (!ending) return;
    this.skipHoles();
    this.finished = true;
    for (const resolve of this.waiters.splice(0)) resolve(ending);
  }
}

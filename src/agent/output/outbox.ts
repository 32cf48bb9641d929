// Sends the running command's output and final status to the dashboard, and knows when they arrived.
//
// Lines leave in frames of at most BATCH_MAX_LINES, and no line waits longer than BATCH_DELAY_MS for
// its frame. After frames go out, a delivery barrier (ping/pong) confirms them; confirmed lines leave
// the spool. The status goes last, after every line, and a command counts as reported only once its
// status is confirmed: until then the agent keeps naming it as running, so the dashboard never gives
// it up as lost. While the socket is down nothing is sent; after the next `registered` everything not
// confirmed goes again.
import type { StatusPayload } from '../../protocol/agent.js';
import type { AgentToDashboardMessage } from '../../protocol/agent.js';
import type { Stream } from '../../protocol/model.js';
import { OutputSpool } from './spool.js';

/** The longest a line waits for more lines to share its frame. */
export const BATCH_DELAY_MS = 20;
export const BATCH_MAX_LINES = 64;
/** Well below the dashboard's 1 MiB frame limit even for lines of many-byte characters. */
export const FRAME_MAX_BYTES = 256 * 1024;
/** Lines sent and not yet confirmed at most; bounds what a dead socket can strand. */
export const IN_FLIGHT_MAX_LINES = 4_096;
/** Output waits while this much is queued on the socket, so a slow link does not pile it up in memory. */
export const SOCKET_QUEUE_MAX_BYTES = 1024 * 1024;

/** What the outbox needs of the connection. */
export interface Link {
  send(message: AgentToDashboardMessage): boolean;
  barrier(): Promise<boolean>;
  /** Bytes queued on the socket and not yet handed to the network. */
  readonly queuedBytes: number;
}

export class CommandReport {
  readonly spool: OutputSpool;
  status: StatusPayload | null = null;
  /** The status went out on the current socket. */
  statusSent = false;
  readonly delivered: Promise<void>;
  private resolveDelivered: () => void = () => {};

  constructor(
    readonly commandId: string,
    readonly command: string,
    boundLines: number,
    seqBase: number,
    private readonly kick: (urgent: boolean) => void,
  ) {
    this.spool = new OutputSpool(boundLines, seqBase);
    this.delivered = new Promise((resolve) => {
      this.resolveDelivered = resolve;
    });
  }

  push(stream: Stream, line: string): void {
    this.spool.push(stream, line);
    this.kick(this.spool.unsentCount >= BATCH_MAX_LINES);
  }

  /** The command ended; its status goes out after its last line. */
  finish(status: Omit<StatusPayload, 'command_id' | 'command'>): void {
    if (this.status) return;
    this.status = { ...status, command: this.command, command_id: this.commandId };
    this.kick(true);
  }

  markDelivered(): void {
    this.resolveDelivered();
  }
}

export class Outbox {
  private report: CommandReport | null = null;
  private link: Link | null = null;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private barrierPending = false;
  private barrierWanted = false;

  constructor(private readonly boundLines: number) {}

  /** Starts the report of a command; one command at a time. */
  open(commandId: string, command: string, seqBase = 0): CommandReport {
    if (this.report) throw new Error(`a report for ${this.report.commandId} is still open`);
    const report = new CommandReport(commandId, command, this.boundLines, seqBase, (urgent) => this.kick(urgent));
    this.report = report;
    void report.delivered.then(() => {
      if (this.report === report) this.report = null;
    });
    return report;
  }

  /** Registered on a fresh socket: everything unconfirmed goes again. */
  online(link: Link): void {
    this.link = link;
    if (this.report) {
      this.report.spool.rewind();
      this.report.statusSent = false;
    }
    this.pump(true);
  }

  offline(): void {
    this.link = null;
    if (this.report) this.report.statusSent = false;
  }

  private kick(urgent: boolean): void {
    if (urgent) {
      this.immediate ??= setImmediate(() => {
        this.immediate = null;
        this.pump(false);
      });
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.pump(true);
    }, BATCH_DELAY_MS);
  }

  /** Sends what is due: full frames always, a partial one when `flushAll` (its lines waited long enough). */
  private pump(flushAll: boolean): void {
    const report = this.report;
    const link = this.link;
    if (!report || !link) return;
    const spool = report.spool;
    let sent = false;
    for (;;) {
      const finishing = report.status !== null;
      if (spool.hasWork) {
        if (!flushAll && !finishing && spool.unsentCount < BATCH_MAX_LINES) break;
        if (link.queuedBytes > SOCKET_QUEUE_MAX_BYTES) break; // The next kick tries again.
        const lines = spool.take(BATCH_MAX_LINES, FRAME_MAX_BYTES, Math.min(IN_FLIGHT_MAX_LINES, this.boundLines >> 1));
        if (lines.length === 0) break; // Too much unconfirmed: the next barrier frees room.
        if (!link.send({ type: 'output', payload: { command_id: report.commandId, lines } })) return;
        sent = true;
      } else if (report.status && !report.statusSent) {
        if (!link.send({ type: 'status', payload: report.status })) return;
        report.statusSent = true;
        sent = true;
      } else {
        break;
      }
    }
    if (spool.hasWork) this.kick(false);
    if (sent) this.confirm(report, link);
  }

  /** Asks the dashboard to confirm what was sent; one barrier at a time, another after it if needed. */
  private confirm(report: CommandReport, link: Link): void {
    if (this.barrierPending) {
      this.barrierWanted = true;
      return;
    }
    this.barrierPending = true;
    this.barrierWanted = false;
    const throughSeq = report.spool.sentThroughSeq;
    const statusIncluded = report.statusSent;
    void link.barrier().then((delivered) => {
      this.barrierPending = false;
      if (!delivered || this.report !== report) return;
      report.spool.delivered(throughSeq);
      if (statusIncluded && report.spool.settled) {
        report.markDelivered();
        return;
      }
      if (this.barrierWanted && this.link) this.confirm(report, this.link);
      this.kick(true);
    });
  }
}

// Output lines of commands: numbered, stored, fanned out, and replayed from any point.
//
// The dashboard numbers every command's lines 0, 1, 2, … itself, so browsers always see a dense
// sequence. A v1 agent numbers its lines too; the dashboard uses that number only to drop lines it
// already has (a resend after a reconnect) and to say so when some never arrived.
import type { OutputLine, Stream } from '../../protocol/model.js';
import type { CommandRecord, Store, StoredLine } from '../store/store.js';
import type { Fanout } from '../hub/fanout.js';

/** Lines one replay answer carries at most; the browser asks again for the rest. */
export const REPLAY_LINES_MAX = 5_000;

export interface Replay {
  lines: OutputLine[];
  /** More lines follow the last one returned. */
  more: boolean;
}

export class OutputLog {
  /** Lines handed to the store and not yet durable, per command, in seq order, with the command's host. */
  private readonly pending = new Map<string, { hostId: string; lines: StoredLine[] }>();
  /** The commands with lines in `pending`, per host: what an agent's delivery barrier waits for. */
  private readonly pendingByHost = new Map<string, Set<string>>();

  constructor(
    private readonly store: Store,
    private readonly fanout: Fanout,
  ) {
    store.onOutputDurable((commandId, throughSeq) => this.trimDurable(commandId, throughSeq));
  }

  /** v0: one line without a number. */
  appendLine(record: CommandRecord, stream: Stream, line: string): void {
    this.accept(record, [{ seq: record.output_lines, stream, line }]);
  }

  /**
   * v1: numbered lines; repeats are dropped, a gap is marked by a line saying how many are missing.
   * The line objects are the decoded frame's own (nothing else holds them): they get the dashboard's
   * numbering in place rather than being copied, which matters at thousands of lines a second.
   */
  appendNumbered(record: CommandRecord, lines: { seq: number; stream: Stream; line: string }[]): void {
    const accepted: StoredLine[] = [];
    for (const line of lines) {
      const agentSeq = line.seq;
      if (agentSeq < record.agent_seq_next) continue;
      if (agentSeq > record.agent_seq_next) {
        const missing = agentSeq - record.agent_seq_next;
        const text = `[nixfleet] ${missing} output line${missing === 1 ? '' : 's'} of this command never reached the dashboard`;
        accepted.push({ seq: record.output_lines + accepted.length, stream: 'stderr', line: text });
      }
      line.seq = record.output_lines + accepted.length;
      accepted.push(line);
      record.agent_seq_next = agentSeq + 1;
    }
    this.accept(record, accepted);
  }

  private accept(record: CommandRecord, lines: StoredLine[]): void {
    if (lines.length === 0) return;
    record.output_lines += lines.length;
    let pending = this.pending.get(record.id);
    if (!pending) {
      pending = { hostId: record.host_id, lines: [] };
      this.pending.set(record.id, pending);
      let commands = this.pendingByHost.get(record.host_id);
      if (!commands) {
        commands = new Set();
        this.pendingByHost.set(record.host_id, commands);
      }
      commands.add(record.id);
    }
    for (const line of lines) pending.lines.push(line);
    this.store.appendOutput(record.id, lines, record.agent_seq_next);
    this.fanout.publishOutput(record.host_id, record.id, record.command, lines);
  }

  private trimDurable(commandId: string, throughSeq: number): void {
    const pending = this.pending.get(commandId);
    if (!pending) return;
    const { hostId, lines } = pending;
    let keepFrom = 0;
    while (keepFrom < lines.length && (lines[keepFrom]?.seq ?? Infinity) <= throughSeq) keepFrom++;
    if (keepFrom < lines.length) {
      lines.splice(0, keepFrom);
      return;
    }
    this.pending.delete(commandId);
    const commands = this.pendingByHost.get(hostId);
    commands?.delete(commandId);
    if (commands?.size === 0) this.pendingByHost.delete(hostId);
  }

  /** The host's commands whose lines are not all durable yet. */
  unsettledOf(hostId: string): Iterable<string> {
    return this.pendingByHost.get(hostId) ?? [];
  }

  /**
   * Every line of the command from `fromSeq` on, up to `limit`: stored ones, then ones still on their
   * way to the disk, as they were when it was called (lines that become durable during the read are
   * in the copy taken before it).
   */
  async replay(record: CommandRecord, fromSeq: number, limit = REPLAY_LINES_MAX): Promise<Replay> {
    const pending = [...(this.pending.get(record.id)?.lines ?? [])];
    const firstPendingSeq = pending[0]?.seq ?? record.output_lines;
    const outputLines = record.output_lines;
    const lines: OutputLine[] = fromSeq < firstPendingSeq ? await this.store.readOutput(record.id, fromSeq, firstPendingSeq, limit) : [];
    for (const line of pending) {
      if (lines.length >= limit) break;
      if (line.seq >= fromSeq) lines.push(line);
    }
    const last = lines[lines.length - 1];
    return { lines, more: lines.length >= limit && last !== undefined && last.seq + 1 < outputLines };
  }
}

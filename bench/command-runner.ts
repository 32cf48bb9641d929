// Simulated agents running the commands they get by themselves (a rollout's steps, `commandRun`):
// lines over the command's time, then `status` ok, with a log of what each received and when.
import { nowMs } from './histogram.js';
import type { CommandRecord, CommandRun } from './messages.js';
import { BATCH_INTERVAL_MS, line, type CommandMessage, type SimAgent } from './sim-agent.js';

function sendStatus(agent: SimAgent, record: CommandRecord): void {
  const payload = { status: 'ok', command: record.command, command_id: record.command_id, exit_code: 0, message: 'bench' };
  agent.socket?.send(JSON.stringify({ type: 'status', payload }));
}

export class CommandRunner {
  /** Agents running a command, moved on every batch interval. */
  private readonly running = new Set<SimAgent>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly run: CommandRun) {}

  /**
   * Takes a command as this repository's agent does: a repeat of the running one is ignored, a repeat
   * of a finished one gets its status again, and another command while one runs is refused.
   */
  take(agent: SimAgent, message: CommandMessage): void {
    if (this.stopped) return;
    const known = agent.log.find((record) => record.command_id === message.command_id);
    if (known) {
      known.repeats++;
      if (known.endedAt !== null && !known.rejected) sendStatus(agent, known);
      return;
    }
    const record: CommandRecord = { ...message, receivedAt: nowMs(), endedAt: null, lines: 0, rejected: false, repeats: 0 };
    agent.log.push(record);
    if (agent.current) {
      record.rejected = true;
      record.endedAt = record.receivedAt;
      const payload = { reason: 'busy', current_command: agent.current.command, current_pid: null, command_id: message.command_id };
      agent.socket?.send(JSON.stringify({ type: 'command_rejected', payload }));
      return;
    }
    agent.current = record;
    agent.running = record.command;
    this.running.add(agent);
    this.timer ??= setInterval(() => this.moveOn(), BATCH_INTERVAL_MS);
  }

  /** The worker stops: no command runs on, and none is taken after. */
  stop(): void {
    this.stopped = true;
    this.idle();
  }

  private idle(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Sends the lines each running command owes by the clock, and the status of those whose time is up. */
  private moveOn(): void {
    const { run } = this;
    const now = nowMs();
    for (const agent of this.running) {
      const record = agent.current as CommandRecord;
      const elapsed = now - record.receivedAt;
      const due = Math.min(run.linesPerCommand, Math.floor((elapsed * run.linesPerCommand) / run.commandMs));
      if (due > record.lines && agent.registered) {
        const lines = [];
        for (let seq = record.lines; seq < due; seq++) lines.push({ seq, stream: 'stdout', line: line(run.lineBytes) });
        agent.socket?.send(JSON.stringify({ type: 'output', payload: { command_id: record.command_id, lines } }));
        record.lines = due;
      }
      if (elapsed < run.commandMs) continue;
      record.endedAt = nowMs();
      if (agent.registered) sendStatus(agent, record);
      agent.current = null;
      agent.running = null;
      this.running.delete(agent);
    }
    if (this.running.size === 0) this.idle();
  }
}

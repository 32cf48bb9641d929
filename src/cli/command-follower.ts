// Commands followed live over the dashboard's socket: each command id gets a CommandWatch, fed from
// the socket's output frames and command records, and caught up again after a reconnect or a resync.
import type { CommandOutputPayload, InitPayload } from '../protocol/browser.js';
import type { CommandReply, OutputReply } from '../protocol/http.js';
import type { Command, OutputLine } from '../protocol/model.js';
import { CommandWatch } from './command-watch.js';
import { CliError, EXIT_FAILED } from './errors.js';
import type { DashboardClient } from './http-client.js';
import { DashboardSocket, type SocketListener } from './socket.js';
import type { Settings } from './settings.js';

/**
 * Records of commands not watched yet, kept because a command may end before the answer that names
 * its id arrives; the oldest go beyond this many.
 */
export const UNWATCHED_RECORDS_MAX = 10_000;

export class CommandFollower implements SocketListener {
  private readonly watches = new Map<string, CommandWatch>();
  private readonly unwatched = new Map<string, Command>();
  private readonly failures = new Map<string, (error: CliError) => void>();
  private socket: DashboardSocket | null = null;

  private constructor(private readonly client: DashboardClient) {}

  /** Opens the socket first, so that nothing that happens from now on is missed. */
  static async open(settings: Settings, client: DashboardClient): Promise<CommandFollower> {
    const follower = new CommandFollower(client);
    follower.socket = await DashboardSocket.open(settings, follower);
    return follower;
  }

  /**
   * Prints the command's lines from `startSeq` on as they come, and resolves with its final record
   * once it ended and every line was printed. `known`: a record of it already in hand.
   */
  follow(commandId: string, print: (lines: readonly OutputLine[]) => void, startSeq = 0, known?: Command): Promise<Command> {
    const socket = this.socket;
    if (!socket) throw new Error('follow before open');
    const watch = new CommandWatch(commandId, { print, requestReplay: (fromSeq) => socket.send({ type: 'get_output', payload: { command_id: commandId, from_seq: fromSeq } }) }, startSeq);
    this.watches.set(commandId, watch);
    const seen = this.unwatched.get(commandId);
    this.unwatched.delete(commandId);
    if (known) watch.onRecord(known);
    if (seen) watch.onRecord(seen);
    watch.resume();
    const failed = new Promise<never>((_resolve, reject) => this.failures.set(commandId, reject));
    return Promise.race([watch.done(), failed, socket.failed]).finally(() => this.failures.delete(commandId));
  }

  close(): void {
    this.socket?.close();
  }

  init(payload: InitPayload, how: 'first' | 'reconnect' | 'resync'): void {
    const inInit = new Set<string>();
    for (const command of payload.commands) {
      inInit.add(command.id);
      this.command(command);
    }
    if (how === 'first') return;
    for (const watch of this.watches.values()) {
      if (watch.ended) continue;
      // Ended while the socket was away and already past the commands init carries.
      if (!inInit.has(watch.commandId)) void this.refresh(watch);
      watch.resume(how === 'reconnect');
    }
  }

  command(command: Command): void {
    const watch = this.watches.get(command.id);
    if (watch) return watch.onRecord(command);
    this.unwatched.delete(command.id);
    this.unwatched.set(command.id, command);
    if (this.unwatched.size > UNWATCHED_RECORDS_MAX) {
      const oldest = this.unwatched.keys().next().value;
      if (oldest !== undefined) this.unwatched.delete(oldest);
    }
  }

  output(payload: CommandOutputPayload): void {
    const watch = this.watches.get(payload.command_id);
    if (!watch) return;
    // Only the answer to get_output carries `more`; live frames never do.
    if (payload.more === undefined) watch.onLive(payload.lines);
    else watch.onReplay(payload.lines, payload.more);
  }

  rollout(): void {
    // Rollouts are the RolloutFollower's.
  }

  error(code: string, message: string): void {
    if (code !== 'unknown_command') return;
    // The error names the command only in its message ("no command <id>"): the payload has no id field.
    for (const [id, fail] of this.failures) {
      if (message.includes(id)) fail(new CliError(`the dashboard does not know command ${id}`, code, EXIT_FAILED));
    }
  }

  /** The command's record; a dashboard older than GET /api/commands/:id tells it with a page of its output. */
  private async record(commandId: string): Promise<Command> {
    const path = `/api/commands/${encodeURIComponent(commandId)}`;
    try {
      return (await this.client.get<CommandReply>(path)).command;
    } catch (err) {
      if (!(err instanceof CliError) || err.code !== 'no_route') throw err;
      return (await this.client.get<OutputReply>(`${path}/output`, { limit: 1 })).command;
    }
  }

  /** The command's record from the HTTP API. */
  private async refresh(watch: CommandWatch): Promise<void> {
    try {
      watch.onRecord(await this.record(watch.commandId));
    } catch (err) {
      this.failures.get(watch.commandId)?.(err instanceof CliError ? err : new CliError(String(err), 'internal', EXIT_FAILED));
    }
  }
}

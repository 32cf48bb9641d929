// The outputs this browser follows (one per open tab). Every browser is sent the live lines of every
// command; only followed commands keep them. Following starts with a replay from seq 0, so a tab
// opened mid-command, or after a page refresh, shows everything from the first line.
import type { CommandOutputPayload, BrowserToDashboardMessage } from '../../protocol/browser.js';
import { OutputBuffer } from './output-buffer.js';

export type SendToDashboard = (message: BrowserToDashboardMessage) => boolean;

export class OutputBook {
  private readonly buffers = new Map<string, OutputBuffer>();

  constructor(private readonly send: SendToDashboard) {}

  get(commandId: string): OutputBuffer | undefined {
    return this.buffers.get(commandId);
  }

  follow(commandId: string): OutputBuffer {
    let buffer = this.buffers.get(commandId);
    if (!buffer) {
      buffer = new OutputBuffer(commandId);
      this.buffers.set(commandId, buffer);
      this.requestReplay(buffer);
    }
    return buffer;
  }

  unfollow(commandId: string): void {
    this.buffers.delete(commandId);
  }

  receive(payload: CommandOutputPayload): void {
    const buffer = this.buffers.get(payload.command_id);
    if (!buffer) return;
    buffer.origin ??= { host_id: payload.host_id, command: payload.command };
    // A replay answer always says whether more follows; live batches never do and are never empty.
    const isReplay = payload.more !== undefined || payload.lines.length === 0;
    if (isReplay) buffer.setReplayPending(false);
    buffer.merge(payload.lines);
    if ((isReplay && payload.more === true) || buffer.hasGap) this.requestReplay(buffer);
  }

  /** The socket closed: replays asked on it will never be answered. */
  connectionLost(): void {
    for (const buffer of this.buffers.values()) buffer.setReplayPending(false);
  }

  /** After a (re)connect: lines may have been missed while the socket was down. */
  resume(): void {
    for (const buffer of this.buffers.values()) this.requestReplay(buffer);
  }

  private requestReplay(buffer: OutputBuffer): void {
    if (buffer.replayPending) return;
    // When the socket is down this sends nothing; resume() asks again after the reconnect.
    buffer.setReplayPending(this.send({ type: 'get_output', payload: { command_id: buffer.commandId, from_seq: buffer.nextSeq } }));
  }
}

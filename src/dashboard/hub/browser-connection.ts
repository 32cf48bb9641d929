// What a browser's frames mean. A browser reads state and output; it can never speak as an agent.
import type WebSocket from 'ws';
import { ErrorCode } from '../../protocol/constants.js';
import type { BrowserToDashboardMessage, GetOutputPayload } from '../../protocol/browser.js';
import { decodeBrowserMessage, isAgentMessageType, parseEnvelope } from '../../protocol/frame.js';
import type { PeerLike } from './peer.js';
import type { Hub, HubParts } from './hub.js';

/** `head`, the items with commas between them, and `tail`: encoded as UTF-8 straight into one buffer. */
function encodeList(head: string, items: readonly string[], tail: string): Buffer {
  let bytes = Buffer.byteLength(head) + Buffer.byteLength(tail) + Math.max(0, items.length - 1);
  for (const item of items) bytes += Buffer.byteLength(item);
  const out = Buffer.allocUnsafe(bytes);
  let at = out.write(head);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) at += out.write(',', at);
    at += out.write(items[i] as string, at);
  }
  out.write(tail, at);
  return out;
}

/**
 * `init`, put together around the hosts' JSON, which the fleet keeps per host: at 10,000 hosts,
 * serializing the whole fleet again for each init was most of its cost. The pieces are encoded
 * straight into one buffer: joining them first into one string of megabytes cost as much again.
 */
export function buildInit(parts: HubParts): Buffer {
  const { fleet, commands, fanout, desired, rollouts } = parts;
  const rest = [
    `"commands":${JSON.stringify(commands.snapshot())}`,
    `"desired":${JSON.stringify(desired.current())}`,
    `"rollouts":${JSON.stringify(rollouts.snapshot())}`,
    `"version":${fanout.currentVersion}`,
  ];
  return encodeList('{"type":"init","payload":{"hosts":[', fleet.snapshotJson(), `],${rest.join(',')}}}`);
}

export class BrowserConnection {
  constructor(
    readonly peer: PeerLike,
    private readonly hub: Hub,
    readonly sessionIdHash: string,
  ) {}

  /** Sends `init` and joins the fan-out. */
  start(): void {
    this.hub.parts.fanout.addBrowser(this.peer);
  }

  onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    this.peer.alive = true;
    if (isBinary) {
      this.peer.rejectFrame('binary frames are not accepted: send JSON text');
      return;
    }
    const envelope = parseEnvelope(data.toString());
    this.hub.parts.metrics.received('browser', envelope.ok ? envelope.message.type : 'invalid');
    if (!envelope.ok) {
      this.peer.rejectFrame(envelope.reason);
      return;
    }
    if (isAgentMessageType(envelope.message.type)) {
      this.peer.rejectFrame(`browsers cannot send ${envelope.message.type}`, ErrorCode.forbidden);
      return;
    }
    const decoded = decodeBrowserMessage(envelope.message);
    if (!decoded.ok) {
      this.peer.rejectFrame(decoded.reason);
      return;
    }
    this.apply(decoded.message);
  }

  private apply(message: BrowserToDashboardMessage): void {
    switch (message.type) {
      case 'get_state':
        return void this.hub.parts.fanout.resendInit(this.peer);
      case 'get_output':
        return void this.replay(message.payload);
    }
  }

  private async replay(payload: GetOutputPayload): Promise<void> {
    const { commands, output, fanout } = this.hub.parts;
    const record = await commands.find(payload.command_id);
    if (!record) {
      this.peer.sendError(ErrorCode.unknownCommand, `no command ${payload.command_id}`);
      return;
    }
    // Lines published but not yet sent go out first; the replay then reaches up to the live stream.
    fanout.flush();
    const { lines, more } = await output.replay(record, payload.from_seq ?? 0);
    this.peer.sendMessage({
      type: 'command_output',
      payload: { host_id: record.host_id, command_id: record.id, command: record.command, lines, more },
    });
  }
}

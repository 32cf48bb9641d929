// What an agent's frames mean. Each frame is parsed and validated once, then applied to the fleet,
// the command book and the output log; nothing here waits on the disk.
import type WebSocket from 'ws';
import { CloseCode, ErrorCode, isValidHostname } from '../../protocol/constants.js';
import {
  isOutputBatch,
  type AgentToDashboardMessage,
  type CommandRejectedPayload,
  type DashboardToAgentMessage,
  type HeartbeatPayload,
  type OutputBatchPayloadV1,
  type OutputLinePayloadV0,
  type RegisterPayload,
  type StatusPayload,
} from '../../protocol/agent.js';
import { decodeAgentMessage, parseEnvelope } from '../../protocol/frame.js';
import { newWatch, reconcileAfterRegister, reconcileWithHeartbeat } from '../commands/reconcile.js';
import type { Outcome } from '../commands/command-book.js';
import type { PeerLike } from './peer.js';
import type { Hub } from './hub.js';
import type { AgentIdentity } from '../auth/agent-tokens.js';
import { afterRecorded } from '../store/store.js';

const STATUS_OUTCOMES: Record<StatusPayload['status'], Outcome['status']> = {
  ok: 'succeeded',
  warning: 'succeeded',
  error: 'failed',
  stopped: 'stopped',
};

export class AgentConnection {
  /** The host this connection speaks for, once registered. */
  hostId: string | null = null;
  private readonly watch = newWatch();

  constructor(
    readonly peer: PeerLike,
    private readonly hub: Hub,
    /** Whom the token of this connection speaks for: one host, or any host without its own token. */
    private readonly identity: AgentIdentity,
  ) {}

  send(message: DashboardToAgentMessage): boolean {
    return this.peer.sendMessage(message);
  }

  /**
   * Pongs are answered by hand (autoPong is off). An agent uses a ping as a delivery barrier: its
   * pong says that every frame before it was applied and is durable, its host's output lines with
   * them, so the agent may forget those lines. While storage is failing, the pong says only
   * "applied" (the lines are held in memory and written when storage returns), so that live output
   * keeps flowing.
   */
  answerPing(data: Buffer): void {
    const { store, output } = this.hub.parts;
    afterRecorded(store, () => this.peer.pong(data), this.hostId === null ? [] : output.unsettledOf(this.hostId));
  }

  onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    this.peer.alive = true;
    if (isBinary) {
      this.peer.rejectFrame('binary frames are not accepted: send JSON text');
      return;
    }
    const envelope = parseEnvelope(data.toString());
    this.hub.parts.metrics.received('agent', envelope.ok ? envelope.message.type : 'invalid');
    if (!envelope.ok) {
      this.peer.rejectFrame(envelope.reason);
      return;
    }
    if (this.hostId === null && envelope.message.type !== 'register') {
      this.peer.rejectFrame(`send register first (got ${envelope.message.type})`, ErrorCode.notRegistered);
      return;
    }
    const decoded = decodeAgentMessage(envelope.message);
    if (!decoded.ok) {
      this.peer.rejectFrame(decoded.reason);
      return;
    }
    this.apply(decoded.message);
  }

  private apply(message: AgentToDashboardMessage): void {
    switch (message.type) {
      case 'register':
        return this.register(message.payload);
      case 'heartbeat':
        return this.heartbeat(message.payload);
      case 'output':
        return isOutputBatch(message.payload) ? this.outputBatch(message.payload) : this.outputLine(message.payload);
      case 'status':
        return this.status(message.payload);
      case 'command_rejected':
        return this.rejected(message.payload);
      case 'operation_progress':
      case 'test_progress':
        // Progress is shown, not kept: a browser that joins later sees the next report.
        return this.hub.parts.fanout.publish(message.type, { ...message.payload, host_id: this.hostId ?? '' });
    }
  }

  private register(payload: RegisterPayload): void {
    if (!isValidHostname(payload.hostname)) {
      this.peer.sendError(ErrorCode.badHostname, `hostname must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`);
      this.peer.close(CloseCode.policyViolation, 'bad hostname');
      return;
    }
    if (this.hostId !== null && this.hostId !== payload.hostname) {
      this.peer.rejectFrame(`this connection is registered as ${this.hostId}; open a new one for ${payload.hostname}`);
      return;
    }
    const refusal = this.tokenRefusal(payload.hostname);
    if (refusal) {
      // The agent retries every few seconds until someone fixes its token: once, then a count.
      const source = `agent ${this.peer.address} as ${payload.hostname}`;
      this.hub.parts.events.recordRepeated(source, 'warn', `agent from ${this.peer.address} refused as ${payload.hostname}: ${refusal}`);
      this.peer.sendError(ErrorCode.forbidden, refusal);
      this.peer.close(CloseCode.policyViolation, 'token not valid for this host');
      return;
    }
    const { fleet, commands } = this.hub.parts;
    this.hub.claimHost(this, payload.hostname);
    this.hostId = payload.hostname;
    fleet.register(payload, this.identity.hostId === null);
    this.send({ type: 'registered', payload: { host_id: payload.hostname } });
    const running = (payload.protocol_version ?? 0) >= 1 ? (payload.running ?? null) : undefined;
    reconcileAfterRegister(commands, payload.hostname, running, this.watch);
    this.hub.parts.dispatcher.hostReady(payload.hostname);
  }

  /** Why this connection's token may not register `hostname`, or null when it may. */
  private tokenRefusal(hostname: string): string | null {
    const own = this.identity.hostId;
    if (own !== null) return own === hostname ? null : `this token belongs to host ${own}`;
    // The shared token enrols hosts; once a host has its own token, nobody else takes its slot.
    return this.hub.parts.tokens.hasOwnToken(hostname) ? `host ${hostname} has its own token; the shared token cannot register it` : null;
  }

  private heartbeat(payload: HeartbeatPayload): void {
    const entry = this.hub.parts.fleet.get(this.hostId ?? '');
    if (!entry) return;
    this.hub.parts.fleet.heartbeat(entry, payload);
    const interval = entry.record.heartbeat_interval_s;
    reconcileWithHeartbeat(this.hub.parts.commands, entry.record.id, payload.pending_command ?? null, interval, this.watch);
  }

  private outputBatch(payload: OutputBatchPayloadV1): void {
    const record = this.hub.parts.commands.findReported(this.hostId ?? '', payload.command_id, undefined);
    if (!record) {
      this.peer.sendError(ErrorCode.unknownCommand, `no command ${payload.command_id} on this host`);
      return;
    }
    this.hub.parts.output.appendNumbered(record, payload.lines);
  }

  private outputLine(payload: OutputLinePayloadV0): void {
    const record = this.hub.parts.commands.runningFor(this.hostId ?? '');
    if (!record) {
      this.peer.sendError(ErrorCode.noRunningCommand, 'output without a running command was not stored');
      return;
    }
    const stream = payload.stream ?? (payload.is_error ? 'stderr' : 'stdout');
    this.hub.parts.output.appendLine(record, stream, payload.line);
  }

  private status(payload: StatusPayload): void {
    const { commands, fleet } = this.hub.parts;
    const record = commands.findReported(this.hostId ?? '', payload.command_id, payload.command);
    if (!record) {
      this.hub.parts.log.debug({ host: this.hostId, payload }, 'status for no known running command; ignored');
      return;
    }
    const ended = commands.finish(record, {
      status: STATUS_OUTCOMES[payload.status],
      exit_code: payload.exit_code ?? null,
      message: payload.message ?? '',
    });
    const entry = fleet.get(record.host_id);
    if (ended && entry) fleet.setGeneration(entry, payload.generation);
  }

  private rejected(payload: CommandRejectedPayload): void {
    const { commands } = this.hub.parts;
    const record = commands.findReported(this.hostId ?? '', payload.command_id, undefined);
    if (!record) return;
    const busyWith = payload.current_command ? `busy with ${payload.current_command}` : 'busy';
    const pid = payload.current_pid ? ` (pid ${payload.current_pid})` : '';
    const reason = payload.reason ? `: ${payload.reason}` : '';
    commands.finish(record, { status: 'failed', exit_code: null, message: `the agent refused it, ${busyWith}${pid}${reason}`, refused: true });
  }

  onClose(): void {
    if (this.hostId === null || !this.hub.releaseHost(this, this.hostId)) return;
    const entry = this.hub.parts.fleet.get(this.hostId);
    if (entry) this.hub.parts.fleet.disconnected(entry);
  }
}

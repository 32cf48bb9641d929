// The hub: every open socket, which host each agent speaks for, which session each browser belongs
// to, and the keepalive that finds the dead ones. What a frame means is decided by the connection
// classes; what it changes, by the fleet and the command book.
import type net from 'node:net';
import type WebSocket from 'ws';
import type { Logger } from 'pino';
import { CloseCode } from '../../protocol/constants.js';
import type { Fleet } from '../fleet/fleet.js';
import type { CommandBook } from '../commands/command-book.js';
import type { OutputLog } from '../commands/output-log.js';
import type { EventLog } from '../events.js';
import type { Store } from '../store/store.js';
import type { AgentIdentity, AgentTokens } from '../auth/agent-tokens.js';
import type { Dispatcher } from '../commands/dispatcher.js';
import type { DashboardMetrics } from '../metrics.js';
import type { Fanout } from './fanout.js';
import type { DesiredTracker } from '../desired/desired-tracker.js';
import type { RolloutBook } from '../rollouts/rollout-book.js';
import { closePeers, Peer, type PeerLike, type PeerOptions } from './peer.js';
import { Keepalive } from './keepalive.js';
import { AgentConnection } from './agent-connection.js';
import { BrowserConnection } from './browser-connection.js';

export interface HubParts {
  fleet: Fleet;
  commands: CommandBook;
  output: OutputLog;
  fanout: Fanout;
  events: EventLog;
  tokens: AgentTokens;
  dispatcher: Dispatcher;
  metrics: DashboardMetrics;
  store: Store;
  desired: DesiredTracker;
  rollouts: RolloutBook;
  log: Logger;
}

/** How long a shutdown waits for peers to answer the close frame before it cuts them. */
export const CLOSE_GRACE_MS = 1_000;

/** A browser-kind socket: the credential that opened it, and whether it asked for `output_batch` messages. */
export interface BrowserOptions {
  credentialKey: string;
  batchesOutput: boolean;
}

export interface HubLimits {
  pingIntervalMs: number;
  agentQueueBytes: number;
  browserQueueBytes: number;
}

export class Hub {
  private readonly peers = new Set<Peer>();
  private stopping = false;
  private readonly agentsByHost = new Map<string, AgentConnection>();
  /** Every agent connection, of this process's sockets and (in a cluster) of other instances'. */
  private readonly agents = new Set<AgentConnection>();
  private readonly browsersBySession = new Map<string, Set<BrowserConnection>>();
  private readonly keepalive: Keepalive;

  constructor(
    readonly parts: HubParts,
    private readonly limits: HubLimits,
  ) {
    this.keepalive = new Keepalive(limits.pingIntervalMs, () => this.peers);
  }

  /** How late the keepalive is; a stuck hub shows here. */
  keepaliveLagMs(now = Date.now()): number {
    return this.keepalive.lagMs(now);
  }

  /** Bytes queued per kind of peer: the total and the largest (for the metrics). */
  outboundBytes(): Record<'agent' | 'browser', { total: number; max: number }> {
    const out = { agent: { total: 0, max: 0 }, browser: { total: 0, max: 0 } };
    for (const peer of this.peers) {
      const bytes = peer.backlogBytes;
      out[peer.kind].total += bytes;
      out[peer.kind].max = Math.max(out[peer.kind].max, bytes);
    }
    return out;
  }

  get counts(): { agents: number; browsers: number } {
    let browsers = 0;
    for (const set of this.browsersBySession.values()) browsers += set.size;
    return { agents: this.agents.size, browsers };
  }

  attachAgent(socket: WebSocket, tcp: net.Socket, address: string, identity: AgentIdentity): AgentConnection {
    const peer = this.track(socket, tcp, { kind: 'agent', address, queueCapBytes: this.limits.agentQueueBytes });
    const connection = this.attachRemoteAgent(peer, identity);
    socket.on('ping', (data) => connection.answerPing(data));
    socket.on('message', (data, isBinary) => connection.onFrame(data, isBinary));
    socket.on('close', () => this.detachAgent(connection));
    return connection;
  }

  /** An agent connection whose frames, pings and close the caller passes on (`onFrame`, `answerPing`, `detachAgent`). */
  attachRemoteAgent(peer: PeerLike, identity: AgentIdentity): AgentConnection {
    const connection = new AgentConnection(peer, this, identity);
    this.agents.add(connection);
    return connection;
  }

  detachAgent(connection: AgentConnection): void {
    if (this.agents.delete(connection)) connection.onClose();
  }

  /** A browser-kind socket, filed under the credential that opened it (a session, or an API token) to close them together. */
  attachBrowser(socket: WebSocket, tcp: net.Socket, address: string, { credentialKey, batchesOutput }: BrowserOptions): BrowserConnection {
    const peer = this.track(socket, tcp, { kind: 'browser', address, queueCapBytes: this.limits.browserQueueBytes, batchesOutput });
    const connection = this.attachRemoteBrowser(peer, credentialKey);
    socket.on('message', (data, isBinary) => connection.onFrame(data, isBinary));
    socket.on('close', () => this.detachBrowser(connection));
    return connection;
  }

  /** A browser connection whose frames and close the caller passes on (`onFrame`, `detachBrowser`); it gets `init` now. */
  attachRemoteBrowser(peer: PeerLike, credentialKey: string): BrowserConnection {
    const connection = new BrowserConnection(peer, this, credentialKey);
    let set = this.browsersBySession.get(credentialKey);
    if (!set) {
      set = new Set();
      this.browsersBySession.set(credentialKey, set);
    }
    set.add(connection);
    connection.start();
    return connection;
  }

  detachBrowser(connection: BrowserConnection): void {
    const key = connection.sessionIdHash;
    const set = this.browsersBySession.get(key);
    if (!set?.delete(connection)) return;
    if (set.size === 0) this.browsersBySession.delete(key);
    this.parts.fanout.removeBrowser(connection.peer);
  }

  private track(socket: WebSocket, tcp: net.Socket, options: Omit<PeerOptions, 'observer'>): Peer {
    const peer = new Peer(socket, tcp, { ...options, observer: this.parts.metrics });
    this.peers.add(peer);
    socket.on('close', () => this.peers.delete(peer));
    // An agent's pings are its delivery barrier, answered by its connection (attachAgent).
    if (options.kind === 'browser') socket.on('ping', (data) => peer.pong(data));
    socket.on('error', (err) => this.parts.log.debug({ err, address: options.address }, `${options.kind} socket error`));
    return peer;
  }

  /** close() has begun: no new sockets are taken in. */
  get closing(): boolean {
    return this.stopping;
  }

  agentFor(hostId: string): AgentConnection | undefined {
    return this.agentsByHost.get(hostId);
  }

  /** Makes `connection` the agent of the host; an older connection for it is closed as replaced. */
  claimHost(connection: AgentConnection, hostId: string): void {
    const previous = this.agentsByHost.get(hostId);
    this.agentsByHost.set(hostId, connection);
    if (previous && previous !== connection) {
      previous.peer.close(CloseCode.replaced, 'replaced by a newer connection');
      this.parts.fleet.replaced(hostId, previous.peer.address, connection.peer.address);
    }
  }

  /** Returns true when `connection` still was the host's agent (and so the host is now disconnected). */
  releaseHost(connection: AgentConnection, hostId: string): boolean {
    if (this.agentsByHost.get(hostId) !== connection) return false;
    this.agentsByHost.delete(hostId);
    return true;
  }

  /** Closes the sockets of a session that ended, or of an API token that was revoked. */
  closeSession(idHash: string): void {
    for (const connection of this.browsersBySession.get(idHash) ?? []) {
      connection.peer.close(CloseCode.sessionEnded, 'session ended');
    }
  }

  /**
   * Closes every socket (shutdown) and stops the keepalive. Peers get the close frame first; those
   * that have not finished the closing handshake within the grace period are cut, so that a slow
   * peer cannot hold the shutdown up.
   */
  async close(code: number = CloseCode.goingAway, reason = 'dashboard shutting down', graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.stopping = true;
    this.keepalive.stop();
    await closePeers([...this.peers], code, reason, graceMs);
  }
}

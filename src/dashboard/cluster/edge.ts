// Every instance's sockets and requests, whichever instance keeps the fleet (the leader). An agent's
// frames, pings and close go over the link to the leader; what the leader sends comes back over it
// and is written to the socket here, as is each flush of the fan-out to every browser that has had
// its `init`. HTTP requests and upgrades are answered by the leader (edge-links.ts).
//
// When the link ends (a gap, a silent link, a new leader, the bus lost) the agents here are closed
// with 1012 and come back by their own reconnect; browsers stay and get a fresh `init` on the next
// link. With no leader at all for LEADER_SILENCE_MS, browsers are closed too rather than shown a
// stale fleet.
import { randomUUID } from 'node:crypto';
import type net from 'node:net';
import type WebSocket from 'ws';
import type { Logger } from 'pino';
import { CloseCode } from '../../protocol/constants.js';
import { closePeers, Peer, type PeerKind, type PeerObserver } from '../hub/peer.js';
import { BACKLOG_RECHECK_MS, KEPT_INIT_MAX_AGE_MS } from '../hub/fanout.js';
import { CLOSE_GRACE_MS, type BrowserOptions } from '../hub/hub.js';
import { Keepalive } from '../hub/keepalive.js';
import type { BusHeader } from './bus.js';
import type { UpgradeIdentity } from './edge-links.js';
import { LastInit } from './last-init.js';

/** A leader, or a link to it, not heard from for this long (both beat every second) is gone. */
export const LEADER_SILENCE_MS = 5_000;
/** How often an edge beats on its link. */
export const EDGE_BEAT_MS = 1_000;

/** Where the leader is: this instance (`local`) or another one over the bus. */
export interface LeaderRoute {
  id: string;
  epoch: string;
  /** Drawn when it took the leader lock (leadership.ts): the highest term heard is followed. */
  term: number;
  local: boolean;
  send(header: BusHeader, body?: Buffer): boolean;
}

export interface EdgeLimits {
  pingIntervalMs: number;
  agentQueueBytes: number;
  browserQueueBytes: number;
}

export interface LeaderReply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** The leader could not be asked (none, or the link to it is being made again): nothing was sent. */
export class NoLeaderError extends Error {
  readonly code = 'no_leader';
}

/** The question went to the leader and no answer came (the link ended, or it took too long): it may have been carried out. */
export class UnansweredError extends Error {
  readonly code = 'leader_timeout';
}

interface LocalSocket {
  peer: Peer;
  kind: PeerKind;
  identity: UpgradeIdentity;
}

/** The peers of the sockets this instance holds, for its keepalive. */
function* peersOf(sockets: ReadonlyMap<string, LocalSocket>): Generator<Peer> {
  for (const socket of sockets.values()) yield socket.peer;
}

/** What the peers of this instance report, for its /metrics. */
export class EdgeCounters implements PeerObserver {
  linksOpened = 0;
  readonly closedSockets = { agent: 0, browser: 0 };
  sent(): void {}
  rejected(): void {}
  closed(kind: PeerKind): void {
    this.closedSockets[kind] += 1;
  }
}

export class Edge {
  private leader: LeaderRoute | null = null;
  private lastBeatAt = 0;
  /** When the leader went away (null while there is one). */
  private leaderlessSince: number | null = Date.now();
  private link: string | null = null;
  private lastLinkMessageAt = 0;
  private seqOut = 0;
  private seqIn = 0;
  private nextConn = 0;
  private nextRequest = 0;
  private readonly sockets = new Map<string, LocalSocket>();
  private readonly pending = new Map<string, { resolve: (reply: LeaderReply) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  private readonly timer: NodeJS.Timeout;
  private readonly keepalive: Keepalive;
  private recheck: NodeJS.Timeout | null = null;
  /** Browsers among `sockets`. */
  private browsers = 0;
  /**
   * The browsers that have had `init` on the current link: the fan-out reaches them. Kept apart so
   * that a flush does not walk the agents' sockets (thousands on an instance that holds a fleet's).
   */
  private readonly joined = new Set<LocalSocket>();
  /** Reused while the leader sends the same bytes to pages of later turns; let go with no browser here. */
  private readonly lastInit = new LastInit();
  private stopped = false;
  readonly counters = new EdgeCounters();

  constructor(
    /** This instance's name on the bus (unique per process). */
    readonly id: string,
    private readonly limits: EdgeLimits,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => this.tick(), EDGE_BEAT_MS);
    this.keepalive = new Keepalive(limits.pingIntervalMs, () => peersOf(this.sockets));
  }

  /** The leader's id while a link to it is open. */
  get leaderId(): string | null {
    return this.link === null ? null : (this.leader?.id ?? null);
  }

  /** The highest term heard (0 before any). */
  get term(): number {
    return this.leader?.term ?? 0;
  }

  get counts(): { agents: number; browsers: number } {
    return { agents: this.sockets.size - this.browsers, browsers: this.browsers };
  }

  /**
   * The leader said it is there (its beat, or this instance became it). A beat of an older term than
   * the one followed is ignored; a new leader gets a new link.
   */
  leaderSeen(route: LeaderRoute): void {
    if (this.leader && route.term < this.leader.term) return;
    this.lastBeatAt = Date.now();
    this.leaderlessSince = null;
    if (this.leader?.epoch === route.epoch) {
      this.leader.term = route.term;
      // Same leader, after the bus came back or the link ended: a new link.
      if (this.link === null) this.relink('the leader is heard again');
      return;
    }
    const previous = this.leader;
    this.leader = route;
    this.log.info({ leader: route.id, term: route.term, local: route.local }, 'cluster: following leader');
    this.relink(previous ? `the leader changed from ${previous.id} to ${route.id}` : 'first leader');
  }

  /** The leader said it is stopping: its link ends now, and the next leader is waited for. */
  leaderLeft(epoch: string): void {
    if (this.leader?.epoch !== epoch) return;
    this.leader = null;
    this.leaderlessSince = Date.now();
    this.unlink('the leader is stopping');
  }

  /** The way to the leader is lost (the bus is down): agents go, browsers wait for the next link. */
  linkLost(why: string): void {
    if (this.link === null || this.leader?.local) return;
    this.unlink(why);
  }

  /** A message from the leader. */
  receive(header: BusHeader, body: Buffer): void {
    if (this.link === null || header.link !== this.link) return;
    if (header.t === 'reset') return this.relink(`the leader reset the link: ${String(header.why ?? '')}`);
    if (header.seq !== this.seqIn) return this.relink(`message ${String(header.seq)} from the leader arrived where ${this.seqIn} was due`);
    this.seqIn += 1;
    this.lastLinkMessageAt = Date.now();
    switch (header.t) {
      case 'send':
        return this.deliver(header, body);
      case 'frames':
        return this.fanOut(body, header.for === 'plain' || header.for === 'batched' ? header.for : null);
      case 'pong':
        return this.socketOf(header)?.peer.pong(body);
      case 'close':
        return this.socketOf(header)?.peer.close(Number(header.code), String(header.reason ?? ''));
      case 'reply':
        return this.settle(String(header.req), header, body);
    }
  }

  private socketOf(header: BusHeader): LocalSocket | undefined {
    return typeof header.conn === 'string' ? this.sockets.get(header.conn) : undefined;
  }

  /**
   * A message for one socket, or (`conns`, an `init` sent to several browsers at once) for each of
   * them. An `init` (`join`) goes as on a single dashboard: compressed to the browsers that
   * negotiated it, compressed once for all of them and for later ones while the same bytes come
   * again (LastInit). Nothing follows it: what was published after it comes in the fan-out's flushes.
   */
  private deliver(header: BusHeader, body: Buffer): void {
    const conns = Array.isArray(header.conns) ? header.conns : [header.conn];
    const init = header.join === true ? this.lastInit.toSend(body) : null;
    for (const conn of conns) {
      const socket = typeof conn === 'string' ? this.sockets.get(conn) : undefined;
      if (!socket) continue;
      if (init === null) socket.peer.send(body);
      else if (socket.peer.sendInit(init)) this.joined.add(socket);
    }
  }

  /**
   * One flush of the leader's fan-out, to every browser here that has had its `init`; when marked
   * (`for`), only to those that take its form (FanoutRelay.writeFlush).
   */
  private fanOut(frames: Buffer, form: 'plain' | 'batched' | null): void {
    let overCap = false;
    for (const each of this.joined) {
      if ((form !== null && each.peer.batchesOutput !== (form === 'batched')) || !each.peer.acceptsMore()) continue;
      each.peer.writeEncoded(frames);
      overCap ||= each.peer.overCap;
    }
    // As the fan-out does (BACKLOG_RECHECK_MS): a browser left over its cap is cut even if no flush follows.
    if (overCap && this.recheck === null) {
      this.recheck = setTimeout(() => {
        this.recheck = null;
        for (const each of this.joined) each.peer.acceptsMore();
      }, BACKLOG_RECHECK_MS);
      this.recheck.unref();
    }
  }

  /** Asks the leader: an HTTP request (`http`) or an upgrade's credentials (`auth`). */
  request(header: BusHeader, body: Buffer | undefined, timeoutMs: number): Promise<LeaderReply> {
    if (this.link === null) return Promise.reject(new NoLeaderError('no link to the instance that keeps the fleet'));
    const req = String((this.nextRequest += 1));
    return new Promise<LeaderReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(req);
        reject(new UnansweredError(`no answer from the instance that keeps the fleet within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(req, { resolve, reject, timer });
      this.toLeader({ ...header, req }, body);
    });
  }

  private settle(req: string, header: BusHeader, body: Buffer): void {
    const waiting = this.pending.get(req);
    if (!waiting) return;
    this.pending.delete(req);
    clearTimeout(waiting.timer);
    waiting.resolve({ status: Number(header.status), headers: (header.headers ?? {}) as LeaderReply['headers'], body });
  }

  /** Takes a socket the leader let in; a browser may have asked for `output_batch` messages. */
  attach(socket: WebSocket, tcp: net.Socket, address: string, identity: UpgradeIdentity, { batchesOutput = false }: Partial<Pick<BrowserOptions, 'batchesOutput'>> = {}): void {
    if (this.link === null) {
      socket.close(CloseCode.serviceRestart, 'no instance keeps the fleet right now; reconnect');
      return;
    }
    const kind = identity.kind;
    const queueCapBytes = kind === 'agent' ? this.limits.agentQueueBytes : this.limits.browserQueueBytes;
    const peer = new Peer(socket, tcp, { kind, address, queueCapBytes, observer: this.counters, batchesOutput });
    const conn = String((this.nextConn += 1));
    const local: LocalSocket = { peer, kind, identity };
    this.sockets.set(conn, local);
    if (kind === 'browser') this.browsers += 1;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      peer.alive = true;
      if (this.sockets.get(conn) === local) this.toLeader({ t: 'frame', conn, binary: isBinary || undefined }, data);
    });
    socket.on('ping', (data: Buffer) => {
      if (this.sockets.get(conn) === local) this.toLeader({ t: 'ping', conn }, data);
    });
    socket.on('error', (err) => this.log.debug({ err, address }, `${kind} socket error`));
    socket.on('close', () => {
      if (this.sockets.get(conn) !== local) return;
      this.sockets.delete(conn);
      if (kind === 'browser') this.browserGone(local);
      this.toLeader({ t: 'gone', conn });
    });
    this.open(conn, local);
  }

  /** As the fan-out lets its kept init go when no browser is left, so does this instance. */
  private browserGone(local: LocalSocket): void {
    this.joined.delete(local);
    this.browsers -= 1;
    if (this.browsers === 0) this.lastInit.clear();
  }

  private open(conn: string, local: LocalSocket): void {
    this.toLeader({ t: 'open', conn, address: local.peer.address, identity: local.identity, batched: local.peer.batchesOutput || undefined });
  }

  private toLeader(header: BusHeader, body?: Buffer): void {
    if (this.link === null || this.leader === null) return;
    const sent = this.leader.send({ ...header, edge: this.id, link: this.link, seq: this.seqOut }, body);
    this.seqOut += 1;
    // The bus refused (it is down): what was sent may be lost, so the link is over.
    if (!sent && !this.leader.local) this.unlink('the bus is down');
  }

  /** Ends the current link (if any) and opens a new one to the current leader. */
  private relink(why: string): void {
    this.unlink(why);
    if (this.leader === null) return;
    this.link = randomUUID();
    this.seqOut = 0;
    this.seqIn = 0;
    this.lastLinkMessageAt = Date.now();
    this.counters.linksOpened += 1;
    this.leader.send({ t: 'hello', edge: this.id, link: this.link });
    for (const [conn, local] of this.sockets) this.open(conn, local);
  }

  private unlink(why: string): void {
    const hadLink = this.link !== null;
    this.link = null;
    this.lastInit.clear();
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(new UnansweredError(`the link to the instance that keeps the fleet ended: ${why}`));
    }
    this.pending.clear();
    this.joined.clear();
    for (const [conn, local] of [...this.sockets]) {
      if (local.kind !== 'agent') continue;
      // Its frames have nowhere to go: it reconnects (to any instance) and resends what was not acknowledged.
      this.sockets.delete(conn);
      local.peer.close(CloseCode.serviceRestart, 'the dashboard instance that keeps the fleet changed; reconnect');
    }
    if (hadLink) this.log.warn({ why }, 'cluster: link to the leader ended');
  }

  private tick(): void {
    // By then the leader has built a new one: the bytes kept here would not come again.
    this.lastInit.clearOlderThan(KEPT_INIT_MAX_AGE_MS);
    // As the leader does: silence is judged once what arrived during a stall of this process is read.
    setImmediate(() => this.checkLeader());
  }

  private checkLeader(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (this.leader && !this.leader.local && now - this.lastBeatAt > LEADER_SILENCE_MS) {
      this.log.warn({ leader: this.leader.id }, 'cluster: no word from the leader');
      this.leader = null;
      this.leaderlessSince = now;
      this.unlink('no word from the leader');
    }
    if (this.leader === null) {
      // Browsers are not left showing a fleet nobody keeps: they reconnect and wait for one.
      if (this.leaderlessSince !== null && now - this.leaderlessSince > LEADER_SILENCE_MS && this.sockets.size > 0) {
        for (const local of this.sockets.values()) local.peer.close(CloseCode.serviceRestart, 'no instance keeps the fleet right now; reconnect');
        this.sockets.clear();
        this.joined.clear();
        this.browsers = 0;
      }
      return;
    }
    if (this.link !== null && !this.leader.local && now - this.lastLinkMessageAt > LEADER_SILENCE_MS) {
      // The leader beats but says nothing on this link (it dropped it without being able to tell us).
      return this.relink('nothing on the link from the leader');
    }
    this.toLeader({ t: 'beat' });
  }

  /** Closes every socket (shutdown). */
  async close(code: number = CloseCode.goingAway, reason = 'dashboard shutting down', graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.keepalive.stop();
    if (this.recheck) clearTimeout(this.recheck);
    const open = [...this.sockets.values()].map((local) => local.peer);
    this.unlink('stopping');
    await closePeers(open, code, reason, graceMs);
    this.sockets.clear();
    this.browsers = 0;
    this.lastInit.clear();
  }
}

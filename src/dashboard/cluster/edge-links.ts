// The instance that keeps the fleet (the leader), facing the edges of all instances, its own
// included: each edge's sockets become remote peers of the hub, each flush of the fan-out crosses to
// an edge once, and the HTTP requests and WebSocket upgrades an edge received are answered here, by
// the same routes a single dashboard has (`inject`).
//
// A link is one edge's session with this leader. Its messages are numbered in both directions; a
// gap, a silent edge or a lost bus ends the link: its agents are disconnected (the grace period
// keeps their hosts online) and the edge opens a new link, its browsers getting a fresh `init`.
import type { Logger } from 'pino';
import type { AgentIdentity } from '../auth/agent-tokens.js';
import type { AgentConnection } from '../hub/agent-connection.js';
import type { BrowserConnection } from '../hub/browser-connection.js';
import type { Core } from '../server.js';
import { INTERNAL_HEADER } from '../http/ws-route.js';
import { CloseCode } from '../../protocol/constants.js';
import { API_TOKEN_KEY_PREFIX } from '../auth/api-tokens.js';
import type { BusHeader } from './bus.js';
import { FanoutRelay, RemotePeer, type EdgeChannel } from './remote-peer.js';

/** An edge not heard from for this long (it beats every second) is gone. */
export const EDGE_SILENCE_MS = 5_000;
/** How often the leader tells each link its sequence, so that a lost last message shows. */
export const LINK_TICK_MS = 1_000;

/** How an instance's upgrade was judged: who the socket is, or the HTTP refusal. */
export type UpgradeIdentity = { kind: 'agent'; agent: AgentIdentity } | { kind: 'browser'; credentialKey: string };

type Remote = { peer: RemotePeer } & ({ kind: 'agent'; connection: AgentConnection } | { kind: 'browser'; connection: BrowserConnection; batchesOutput: boolean });

class Link implements EdgeChannel {
  seqOut = 0;
  seqIn = 0;
  lastHeard = Date.now();
  up = true;
  readonly conns = new Map<string, Remote>();
  readonly relay = new FanoutRelay(this);
  readonly browsers = { plain: 0, batching: 0 };
  /** Browsers given the same `init` in this turn (a relink opens them all at once): it crosses once. */
  private initBatch: { conns: string[]; body: Buffer } | null = null;

  constructor(
    readonly edge: string,
    readonly id: string,
    private readonly transport: (edge: string, header: BusHeader, body?: Buffer) => boolean,
  ) {}

  send(header: BusHeader, body?: Buffer): boolean {
    if (!this.up) return false;
    this.flushInits();
    return this.sendNow(header, body);
  }

  private sendNow(header: BusHeader, body?: Buffer): boolean {
    const sent = this.transport(this.edge, { ...header, link: this.id, seq: this.seqOut }, body);
    this.seqOut += 1;
    return sent;
  }

  sendInit(conn: string, body: Buffer): boolean {
    if (!this.up) return false;
    if (this.initBatch?.body.equals(body)) {
      this.initBatch.conns.push(conn);
      return true;
    }
    this.flushInits();
    this.initBatch = { conns: [conn], body };
    queueMicrotask(() => this.flushInits());
    return true;
  }

  private flushInits(): void {
    const batch = this.initBatch;
    if (!batch) return;
    this.initBatch = null;
    if (this.up) this.sendNow({ t: 'send', conns: batch.conns, join: true }, batch.body);
  }
}

export class EdgeLinks {
  private readonly links = new Map<string, Link>();
  private readonly ticker: NodeJS.Timeout;
  /** Links already told to reset, so that a stream of stale messages gets one answer. */
  private readonly resetSent = new Set<string>();
  private closed = false;

  constructor(
    private readonly core: Core,
    private readonly internalSecret: string,
    /** This instance's own edge, reached in-process. */
    private readonly localEdge: string,
    /** Sends to one edge (over the bus, or straight to this instance's own). */
    private readonly transport: (edge: string, header: BusHeader, body?: Buffer) => boolean,
    private readonly log: Logger,
  ) {
    this.ticker = setInterval(() => this.tick(), LINK_TICK_MS);
    this.ticker.unref();
  }

  /** A message from an edge. */
  receive(header: BusHeader, body: Buffer): void {
    if (this.closed) return;
    const edge = typeof header.edge === 'string' ? header.edge : null;
    const linkId = typeof header.link === 'string' ? header.link : null;
    if (edge === null || linkId === null) return;
    if (header.t === 'hello') return this.hello(edge, linkId);
    const link = this.links.get(edge);
    if (!link || link.id !== linkId) {
      // A link this leader does not know (it restarted, or dropped the link): the edge starts over.
      if (!this.resetSent.has(linkId) && this.transport(edge, { t: 'reset', link: linkId, seq: -1, why: 'unknown link' })) this.resetSent.add(linkId);
      return;
    }
    if (header.seq !== link.seqIn) {
      this.drop(link, `message ${String(header.seq)} arrived where ${link.seqIn} was due`);
      return;
    }
    link.seqIn += 1;
    link.lastHeard = Date.now();
    this.apply(link, header, body);
  }

  private hello(edge: string, linkId: string): void {
    const previous = this.links.get(edge);
    if (previous) this.drop(previous, 'the edge opened a new link', false);
    const link = new Link(edge, linkId, this.transport);
    this.links.set(edge, link);
    link.send({ t: 'welcome' });
    this.log.info({ edge }, 'cluster: edge linked');
  }

  private apply(link: Link, header: BusHeader, body: Buffer): void {
    const conn = typeof header.conn === 'string' ? header.conn : '';
    const hub = this.core.context.hub;
    switch (header.t) {
      case 'beat':
        return;
      case 'open':
        return this.open(link, conn, header);
      case 'frame': {
        const remote = link.conns.get(conn);
        if (remote) remote.connection.onFrame(body, header.binary === true);
        return;
      }
      case 'ping': {
        const remote = link.conns.get(conn);
        if (remote?.kind === 'agent') remote.connection.answerPing(body);
        else remote?.peer.pong(body);
        return;
      }
      case 'gone':
        return this.gone(link, conn);
      case 'auth':
      case 'http':
        return void this.answer(link, header, body);
    }
  }

  private open(link: Link, conn: string, header: BusHeader): void {
    const hub = this.core.context.hub;
    const address = typeof header.address === 'string' ? header.address : '';
    const identity = header.identity as UpgradeIdentity | undefined;
    if (!identity || link.conns.has(conn)) return;
    if (identity.kind === 'agent') {
      const peer = new RemotePeer('agent', address, conn, link, hub.parts.metrics);
      link.conns.set(conn, { kind: 'agent', peer, connection: hub.attachRemoteAgent(peer, identity.agent) });
    } else if (!this.credentialLive(identity.credentialKey)) {
      // A browser opened again on a new link whose session ended (or API token was revoked) meanwhile.
      link.send({ t: 'close', conn, code: CloseCode.sessionEnded, reason: 'session ended' });
    } else {
      const peer = new RemotePeer('browser', address, conn, link, hub.parts.metrics, link.relay);
      const batchesOutput = header.batched === true;
      if (batchesOutput) link.browsers.batching += 1;
      else link.browsers.plain += 1;
      link.conns.set(conn, { kind: 'browser', peer, connection: hub.attachRemoteBrowser(peer, identity.credentialKey), batchesOutput });
    }
  }

  /** Whether the session or API token a browser's socket was let in with still stands. */
  private credentialLive(key: string): boolean {
    const { sessions, apiTokens } = this.core.context;
    return key.startsWith(API_TOKEN_KEY_PREFIX) ? apiTokens.get(key.slice(API_TOKEN_KEY_PREFIX.length)) !== undefined : sessions.isLive(key);
  }

  private gone(link: Link, conn: string): void {
    const remote = link.conns.get(conn);
    if (!remote) return;
    link.conns.delete(conn);
    remote.peer.gone();
    const hub = this.core.context.hub;
    if (remote.kind === 'agent') return hub.detachAgent(remote.connection);
    if (remote.batchesOutput) link.browsers.batching -= 1;
    else link.browsers.plain -= 1;
    hub.detachBrowser(remote.connection);
    // An instance with no browser left is not sent the fan-out.
    if (link.browsers.plain + link.browsers.batching === 0) hub.parts.fanout.removeMember(link.relay);
  }

  /**
   * Answers what an edge received: an HTTP request (`http`), or an upgrade to judge by the same
   * rules as this instance's own /ws (`auth`, through the internal route that only this process can
   * reach). The core's routes answer either, and their answer goes back as it is.
   */
  private async answer(link: Link, header: BusHeader, body: Buffer): Promise<void> {
    const headers = { ...(header.headers as Record<string, string>) };
    delete headers[INTERNAL_HEADER];
    const request =
      header.t === 'auth'
        ? { method: 'GET' as const, url: '/internal/ws-auth', headers: { ...headers, [INTERNAL_HEADER]: this.internalSecret } }
        : { method: String(header.method) as 'GET', url: String(header.url), headers, payload: body.length > 0 ? body : undefined };
    try {
      const response = await this.core.app.inject({ ...request, remoteAddress: typeof header.ip === 'string' ? header.ip : undefined });
      link.send({ t: 'reply', req: header.req, status: response.statusCode, headers: replyHeaders(response.headers) }, response.rawPayload);
    } catch (err) {
      this.log.error({ err, url: request.url }, 'cluster: answering a forwarded request failed');
      const failed = Buffer.from(JSON.stringify({ error: 'internal', message: 'internal error' }));
      link.send({ t: 'reply', req: header.req, status: 500, headers: { 'content-type': 'application/json; charset=utf-8' } }, failed);
    }
  }

  /** Ends a link: its sockets are gone for the hub; the edge (when told) opens a new one. */
  private drop(link: Link, why: string, tell = true): void {
    if (this.links.get(link.edge) === link) this.links.delete(link.edge);
    if (tell) link.send({ t: 'reset', why });
    link.up = false;
    for (const conn of [...link.conns.keys()]) this.gone(link, conn);
    this.core.context.hub.parts.fanout.removeMember(link.relay);
    this.log.warn({ edge: link.edge, why }, 'cluster: edge link ended');
  }

  private tick(): void {
    // Once what arrived meanwhile is read: after a stall of this process, an edge is not judged silent
    // by time in which nobody here listened. This instance's own edge cannot fall silent.
    setImmediate(() => {
      const now = Date.now();
      for (const link of [...this.links.values()]) {
        if (link.edge !== this.localEdge && now - link.lastHeard > EDGE_SILENCE_MS) this.drop(link, `not heard from for ${EDGE_SILENCE_MS / 1000} s`);
        else link.send({ t: 'tick' });
      }
      if (this.resetSent.size > 1_000) this.resetSent.clear();
    });
  }

  /** The bus went down: every link but the one to `keep` (this instance's own edge) ends. */
  dropAllBut(keep: string, why: string): void {
    for (const link of [...this.links.values()]) if (link.edge !== keep) this.drop(link, why, false);
  }

  /** Stops taking messages (the leader is stopping) and ends every link. */
  close(): void {
    this.closed = true;
    clearInterval(this.ticker);
    for (const link of [...this.links.values()]) this.drop(link, 'the leader is stopping', false);
  }
}

/** Response headers an edge passes on: not those that describe the hop between core and edge. */
function replyHeaders(headers: Record<string, unknown>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (HOP_HEADERS.has(name.toLowerCase()) || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade']);

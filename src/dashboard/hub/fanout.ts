// Fan-out to browsers. Every message is serialized once, whatever the number of browsers; output
// lines that arrive before the next flush (1 to 10 ms apart, see below) are coalesced into one frame
// per command, and for browsers that asked for it, the output of several commands into one frame.
// Messages leave in the order they were published, and state changes carry a gap-free version.
import type { Store } from '../store/store.js';
import { encodeTextFrames, lazyDeflatedFrame } from './frame-bytes.js';
import type { DashboardMetrics } from '../metrics.js';
import type { FanoutMember, InitToSend, PeerLike } from './peer.js';
import type { OutputLine } from '../../protocol/model.js';
import { EncodedFlush, serialized, type Batched, type OutputBatch, type Queued } from './output-batches.js';
import type { UnversionedBrowserMessage, VersionedBrowserMessage } from '../../protocol/browser.js';

const VERSION_META_KEY = 'version';
/**
 * Flushes are at least FLUSH_MIN_INTERVAL_MS apart, and up to FLUSH_MAX_INTERVAL_MS under load: each
 * flush costs one socket write per browser, so when the last flush delivered many messages the next
 * waits longer and carries more (at 300 streaming hosts and 20 browsers this halved the dashboard's
 * CPU per delivered line). A quiet fleet gets its messages out within a few milliseconds.
 */
export const FLUSH_MIN_INTERVAL_MS = 1;
export const FLUSH_MAX_INTERVAL_MS = 10;
/** Messages × browsers in one flush at which the interval reaches its maximum. */
export const FLUSH_FULL_DELIVERIES = 1_200;
/**
 * A browser is measured against its cap when the next flush comes. After a burst with nothing behind
 * it there may be no next flush for a while, so one comes anyway this long after a flush that left a
 * browser over its cap: a browser that stopped reading is cut then rather than holding the burst.
 */
export const BACKLOG_RECHECK_MS = 1_000;
/**
 * An init holds the whole fleet: at 10,000 hosts it is 15.7 MB and 0.2 to 0.5 s to build on a busy
 * 2-core machine, and after a restart the pages come back over a few seconds while every host
 * registers. The last init built is kept with the state changes and output lines published after
 * it, and a browser that joins later gets both: the versions go on without a gap, and once it has
 * applied them it holds what a new init would show. A new init is built once those messages add up
 * to more than this share of the kept one (a page joining late then reads at most a few megabytes
 * more than a new init would take compressed, instead of the dashboard stopping for a new one while
 * the fleet changes fastest), or once it is KEPT_INIT_MAX_AGE_MS old: a few details change without a
 * message (when the fleet repository was last checked, finished commands the dashboard no longer keeps).
 */
export const KEPT_INIT_CATCH_UP_SHARE = 0.25;
export const KEPT_INIT_MAX_AGE_MS = 10_000;

/** The last init built and the versioned messages published since (see KEPT_INIT_CATCH_UP_SHARE). */
interface KeptInit {
  body: Buffer;
  /** performance.now() when it was built. */
  builtAt: number;
  since: (Buffer | string)[];
  sinceBytes: number;
  /** `since` as frames, once a browser needed them. */
  sinceFrames: Buffer | null;
  /** `body` as a compressed frame, once a browser that takes one needed it. */
  deflated: Buffer | null;
}

/** No frames: what an init has after it when nothing was published since it was built. */
export const NO_FRAMES = Buffer.alloc(0);

const tooOld = (kept: KeptInit): boolean => performance.now() - kept.builtAt > KEPT_INIT_MAX_AGE_MS;

export class Fanout {
  private version: number;
  private readonly browsers = new Set<FanoutMember>();
  private queue: Queued[] = [];
  /** The batch of each command still open for more lines until the next flush. */
  private openBatches = new Map<string, OutputBatch>();
  private scheduledAt: number | null = null;
  private lastFlushAt = 0;
  private intervalMs = FLUSH_MIN_INTERVAL_MS;
  /** When the oldest queued message was published (performance.now()). */
  private scheduledSince = 0;
  private recheck: NodeJS.Timeout | null = null;
  /** Browsers waiting to join at the end of this turn of the event loop. */
  private joining: PeerLike[] = [];
  private joinTurn: NodeJS.Immediate | null = null;
  private kept: KeptInit | null = null;

  /**
   * `meta` is what the store loaded at start: the version counter continues from it. `buildInit`
   * serializes the whole state as an `init` (browser-connection.ts), at this fan-out's current version.
   */
  constructor(
    private readonly store: Store,
    private readonly metrics: DashboardMetrics,
    meta: ReadonlyMap<string, string>,
    private readonly buildInit: () => Buffer,
  ) {
    this.version = Number(meta.get(VERSION_META_KEY) ?? 0) || 0;
  }

  get currentVersion(): number {
    return this.version;
  }

  get browserCount(): number {
    return this.browsers.size;
  }

  /** How long queued messages have waited for their flush; /health uses it to tell the hub is alive. */
  flushDelayMs(now = Date.now()): number {
    return this.scheduledAt === null ? 0 : now - this.scheduledAt;
  }

  /** Publishes a state change: it takes the next version, persisted with the state it describes. */
  publishState<M extends VersionedBrowserMessage>(type: M['type'], payload: M['payload']): number {
    const version = this.nextVersion();
    this.enqueue(type, Buffer.from(JSON.stringify({ type, payload, version })), true);
    return version;
  }

  /**
   * `host_update` around the host's JSON, which the fleet also keeps for the next `init`: the same
   * bytes publishState would give.
   */
  publishHost(hostJson: string): number {
    const version = this.nextVersion();
    this.enqueue('host_update', Buffer.from(`{"type":"host_update","payload":{"host":${hostJson}},"version":${version}}`), true);
    return version;
  }

  private nextVersion(): number {
    this.version += 1;
    this.store.setMeta(VERSION_META_KEY, String(this.version));
    return this.version;
  }

  /** Publishes a message that is not state (progress, events). */
  publish<M extends Exclude<UnversionedBrowserMessage, { type: 'output_batch' }>>(type: M['type'], payload: M['payload']): void {
    this.enqueue(type, Buffer.from(JSON.stringify({ type, payload })), false);
  }

  publishOutput(hostId: string, commandId: string, command: string, lines: readonly OutputLine[]): void {
    if (lines.length === 0) return;
    let batch = this.openBatches.get(commandId);
    if (!batch) {
      batch = { host_id: hostId, command_id: commandId, command, lines: [] };
      this.openBatches.set(commandId, batch);
      this.queue.push(batch);
      this.schedule();
    }
    for (const line of lines) batch.lines.push(line);
  }

  private enqueue(type: string, frame: Buffer, versioned: boolean): void {
    // Lines published after this message must arrive after it, so they start new batches.
    this.openBatches.clear();
    this.queue.push({ type, frame, versioned });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduledAt !== null) return;
    const now = performance.now();
    this.scheduledAt = Date.now();
    this.scheduledSince = now;
    const waitMs = this.lastFlushAt + this.intervalMs - now;
    if (waitMs <= 0) setImmediate(() => this.flush());
    else setTimeout(() => this.flush(), waitMs);
  }

  /** Sends everything queued to every browser now. */
  flush(): void {
    const waitedSince = this.scheduledSince;
    this.scheduledAt = null;
    this.lastFlushAt = performance.now();
    if (this.queue.length > 0) this.metrics.fannedOut(this.lastFlushAt - waitedSince);
    if (this.queue.length === 0) return;
    const queue = this.queue;
    this.queue = [];
    this.openBatches.clear();
    if (this.browsers.size === 0) {
      // An init prepared before any browser came (see prepareInit) goes on with what happens meanwhile.
      if (this.kept && tooOld(this.kept)) this.kept = null;
      if (this.kept) this.keepForCatchUp(queue, queue.map(serialized));
      return;
    }
    const messages = queue.map(serialized);
    this.keepForCatchUp(queue, messages);
    // Encoded once for all the browsers that take them, each form only if one does.
    const frames = new EncodedFlush(queue, messages);
    const load = Math.min(1, (messages.length * this.browsers.size) / FLUSH_FULL_DELIVERIES);
    this.intervalMs = FLUSH_MIN_INTERVAL_MS + (FLUSH_MAX_INTERVAL_MS - FLUSH_MIN_INTERVAL_MS) * load;
    let overCap = false;
    let plainBrowsers = 0;
    let batchingBrowsers = 0;
    for (const browser of this.browsers) {
      if (!browser.acceptsMore()) {
        this.browsers.delete(browser);
        continue;
      }
      plainBrowsers += browser.browsers.plain;
      batchingBrowsers += browser.browsers.batching;
      browser.writeFlush(frames);
      overCap ||= browser.overCap;
    }
    this.countSent(queue, plainBrowsers, batchingBrowsers, frames.batchedForm);
    if (overCap && this.recheck === null) {
      this.recheck = setTimeout(() => this.checkBacklogs(), BACKLOG_RECHECK_MS);
      this.recheck.unref();
    }
  }

  /**
   * Messages sent, once per browser (those of other instances too), as each browser got them: a
   * batching browser's merged output as its batches.
   */
  private countSent(queue: readonly Queued[], plainBrowsers: number, batchingBrowsers: number, batched: Batched | null): void {
    const browsers = plainBrowsers + batchingBrowsers;
    let outputs = 0;
    for (const item of queue) {
      if ('frame' in item) this.metrics.sent('browser', item.type, browsers);
      else outputs += 1;
    }
    const batches = batched?.batches ?? 0;
    const merged = batched?.merged ?? 0;
    if (outputs > 0) this.metrics.sent('browser', 'command_output', outputs * browsers - merged * batchingBrowsers);
    if (batches > 0) this.metrics.sent('browser', 'output_batch', batches * batchingBrowsers);
  }

  /**
   * What a browser given the kept init must get after it: the state changes, and the output lines
   * (the init's commands count the lines up to it). Other messages are not state: a new init would
   * not show them either.
   */
  private keepForCatchUp(queue: readonly Queued[], messages: readonly (Buffer | string)[]): void {
    const kept = this.kept;
    if (!kept) return;
    queue.forEach((item, i) => {
      if ('frame' in item && !item.versioned) return;
      const message = messages[i] as Buffer | string;
      kept.since.push(message);
      kept.sinceBytes += typeof message === 'string' ? Buffer.byteLength(message) : message.length;
      kept.sinceFrames = null;
    });
    if (kept.sinceBytes > kept.body.length * KEPT_INIT_CATCH_UP_SHARE) this.kept = null;
  }

  /** Cuts the browsers still over their cap (see BACKLOG_RECHECK_MS). */
  private checkBacklogs(): void {
    this.recheck = null;
    for (const browser of this.browsers) if (!browser.acceptsMore()) this.browsers.delete(browser);
  }

  /** Messages waiting for the next flush. */
  get queuedCount(): number {
    return this.queue.length;
  }

  /**
   * Adds a browser after sending it `init`: everything published before is flushed first, so the
   * browser's stream is exactly init(version), then version + 1, version + 2, …
   *
   * Every browser's init is the same, and at 10,000 hosts one is megabytes and tens of milliseconds
   * to build: the browsers that come within one turn of the event loop (after a dashboard restart,
   * every open page at once) join together at its end and share one, and later ones may get the
   * same with what changed since (KEPT_INIT_CATCH_UP_SHARE).
   */
  addBrowser(browser: PeerLike): void {
    this.joining.push(browser);
    this.joinTurn ??= setImmediate(() => this.join());
  }

  private join(): void {
    this.joinTurn = null;
    const joining = this.joining;
    this.joining = [];
    if (joining.length === 0) return;
    this.flush();
    const init = this.currentInit(joining.some((browser) => browser.relay));
    for (const browser of joining) {
      if (!browser.sendInit(init)) continue;
      this.browsers.add(browser.relay ?? browser);
    }
  }

  /**
   * Builds the init now, compressed too, before any browser asks: at start, before the dashboard
   * listens, so that the pages coming back after a restart find it ready instead of waiting while
   * the whole fleet is serialized (half a second at 10,000 hosts on a busy 2-core machine).
   */
  prepareInit(): void {
    // As before every init: what is queued goes first (to no one yet), so the init is as of it.
    this.flush();
    this.currentInit(false).deflatedFrame();
  }

  /** Sends a browser already in the fan-out the state again (it asked with `get_state`), after what it was sent. */
  resendInit(browser: PeerLike): void {
    this.flush();
    browser.sendInit(this.currentInit(browser.relay !== undefined));
  }

  /**
   * The init to send now, with what brings it up to date: call it right after a flush. A browser of
   * another instance gets an init with nothing after it: its instance counts all it is sent against
   * its cap and takes one init for all its browsers that join together.
   */
  private currentInit(forAnotherInstance: boolean): InitToSend {
    const old = this.kept;
    if (old && (tooOld(old) || (forAnotherInstance && old.since.length > 0))) this.kept = null;
    this.kept ??= { body: this.buildInit(), builtAt: performance.now(), since: [], sinceBytes: 0, sinceFrames: null, deflated: null };
    const kept = this.kept;
    kept.sinceFrames ??= kept.since.length > 0 ? encodeTextFrames(kept.since) : NO_FRAMES;
    return {
      body: kept.body,
      since: kept.since,
      sinceFrames: kept.sinceFrames,
      deflatedFrame: lazyDeflatedFrame(kept),
    };
  }

  /** A browser's socket closed; a relay stays for the other browsers of its instance. */
  removeBrowser(browser: PeerLike): void {
    this.joining = this.joining.filter((joining) => joining !== browser);
    if (!browser.relay) this.browsers.delete(browser);
    this.releaseKeptInit();
  }

  /** A relay whose instance has no browser left (or whose link ended). */
  removeMember(member: FanoutMember): void {
    this.browsers.delete(member);
    this.releaseKeptInit();
  }

  /** With no browser left, the kept init (megabytes) is let go: the next one would be built anyway. */
  private releaseKeptInit(): void {
    if (this.browsers.size === 0 && this.joining.length === 0) this.kept = null;
  }
}

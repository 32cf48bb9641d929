// The last `init` an instance of a cluster was sent, with its compressed frame once one was made.
// While nothing is published the leader sends the same bytes again to the pages that come in
// different turns (it keeps the init it built, up to KEPT_INIT_MAX_AGE_MS): comparing an init of
// megabytes takes a few milliseconds, compressing it tens.
import { lazyDeflatedFrame } from '../hub/frame-bytes.js';
import { NO_FRAMES } from '../hub/fanout.js';
import type { InitToSend } from '../hub/peer.js';

interface Kept {
  readonly body: Buffer;
  deflated: Buffer | null;
  /** performance.now() when these bytes first came. */
  readonly since: number;
}

export class LastInit {
  private kept: Kept | null = null;

  /** `body` as an init to send (nothing follows it), compressed at most once while the same bytes come again. */
  toSend(body: Buffer, now = performance.now()): InitToSend {
    if (this.kept === null || !this.kept.body.equals(body)) this.kept = { body, deflated: null, since: now };
    const kept = this.kept;
    return { body: kept.body, since: [], sinceFrames: NO_FRAMES, deflatedFrame: lazyDeflatedFrame(kept) };
  }

  /** Lets it go (megabytes). */
  clear(): void {
    this.kept = null;
  }

  /** Lets it go if its bytes first came more than `maxAgeMs` ago. */
  clearOlderThan(maxAgeMs: number, now = performance.now()): void {
    if (this.kept !== null && now - this.kept.since > maxAgeMs) this.kept = null;
  }
}

// The last `init` an instance of a cluster was sent, kept with its compressed frame. While nothing is
// published the leader sends the same bytes again (its kept init) to the pages that come in
// different turns; compressing an init of megabytes takes tens of milliseconds, comparing it a few.
import { encodeDeflatedTextFrame } from '../hub/frame-bytes.js';
import { NO_FRAMES } from '../hub/fanout.js';
import type { InitToSend } from '../hub/peer.js';

interface Last {
  body: Buffer;
  deflated: Buffer | null;
  receivedAt: number;
}

export class RepeatedInit {
  private last: Last | null = null;

  /** `body` as an init to send (nothing follows it), compressed at most once while the same bytes come again. */
  toSend(body: Buffer, now = Date.now()): InitToSend {
    if (this.last === null || !this.last.body.equals(body)) this.last = { body, deflated: null, receivedAt: now };
    const last = this.last;
    return { body: last.body, since: [], sinceFrames: NO_FRAMES, deflatedFrame: () => (last.deflated ??= encodeDeflatedTextFrame(last.body)) };
  }

  /** Lets the last one go: now, or if it came more than `olderThanMs` ago. */
  release(olderThanMs = 0, now = Date.now()): void {
    if (this.last !== null && now - this.last.receivedAt >= olderThanMs) this.last = null;
  }
}

// Draws a log of any length by keeping only the lines in view (plus a margin) in the DOM: a spacer
// as tall as every line gives the scrollbar its size, and a small pool of line elements is moved and
// refilled as the view scrolls. 100,000 lines cost as much to show as 100.
//
// It follows new lines while the view is at the bottom; scrolling up pauses that until the view is
// back at the bottom (or follow() is called).
import type { OutputBuffer } from '../../state/output-buffer.js';

/** Lines kept in the DOM above and below the visible ones, so that a quick scroll shows no gap. */
const OVERSCAN_LINES = 40;
/** Within this many lines of the bottom the view still counts as following. */
const FOLLOW_SLACK_LINES = 1.5;
/** Used until the real line height can be measured (the view may start hidden). */
const FALLBACK_LINE_HEIGHT_PX = 18;

export class VirtualLog {
  private readonly spacer = document.createElement('div');
  private readonly window = document.createElement('div');
  private readonly pool: HTMLDivElement[] = [];
  /** The seq each pooled element shows, so an unchanged line is not written again. */
  private readonly shown: number[] = [];
  private lineHeightPx = 0;
  private following = true;
  private frame: number | null = null;
  private readonly stopListening: () => void;
  private readonly resizeObserver: ResizeObserver;

  constructor(
    private readonly viewport: HTMLElement,
    private readonly buffer: OutputBuffer,
    private readonly onFollowChange: (following: boolean) => void,
  ) {
    this.spacer.className = 'log-spacer';
    this.window.className = 'log-window';
    this.spacer.append(this.window);
    viewport.replaceChildren(this.spacer);
    viewport.addEventListener('scroll', this.onScroll, { passive: true });
    this.stopListening = buffer.subscribe(this.schedule);
    this.resizeObserver = new ResizeObserver(this.schedule);
    this.resizeObserver.observe(viewport);
    this.render();
  }

  /** Jumps to the newest line and follows again. */
  follow(): void {
    this.setFollowing(true);
    this.render();
  }

  destroy(): void {
    this.stopListening();
    this.resizeObserver.disconnect();
    this.viewport.removeEventListener('scroll', this.onScroll);
    if (this.frame !== null) cancelAnimationFrame(this.frame);
  }

  private readonly schedule = (): void => {
    this.frame ??= requestAnimationFrame(() => this.render());
  };

  private readonly onScroll = (): void => {
    const { scrollTop, clientHeight, scrollHeight } = this.viewport;
    if (clientHeight > 0) this.setFollowing(scrollTop + clientHeight >= scrollHeight - FOLLOW_SLACK_LINES * this.lineHeight());
    this.schedule();
  };

  private setFollowing(following: boolean): void {
    if (following === this.following) return;
    this.following = following;
    this.onFollowChange(following);
  }

  private render(): void {
    this.frame = null;
    const lines = this.buffer.lines;
    const total = lines.length;
    const lineHeight = this.lineHeight();
    this.spacer.style.height = `${total * lineHeight}px`;
    this.viewport.dataset.lines = String(total);
    if (this.following) this.viewport.scrollTop = this.viewport.scrollHeight;
    const top = this.viewport.scrollTop;
    const first = clamp(Math.floor(top / lineHeight) - OVERSCAN_LINES, 0, total);
    const end = clamp(Math.ceil((top + this.viewport.clientHeight) / lineHeight) + OVERSCAN_LINES, first, total);
    this.window.style.transform = `translateY(${first * lineHeight}px)`;
    this.resizePool(end - first);
    for (let i = 0; i < end - first; i++) {
      const line = lines[first + i];
      const element = this.pool[i];
      if (!line || !element || this.shown[i] === line.seq) continue;
      this.shown[i] = line.seq;
      element.textContent = line.line;
      element.className = line.stream === 'stderr' ? 'log-line stderr' : 'log-line';
      element.dataset.n = String(line.seq + 1);
    }
  }

  private resizePool(size: number): void {
    while (this.pool.length < size) {
      const element = document.createElement('div');
      this.window.append(element);
      this.pool.push(element);
      this.shown.push(-1);
    }
    while (this.pool.length > size) {
      this.pool.pop()?.remove();
      this.shown.pop();
    }
  }

  /** Measured once the view is laid out; line height comes from the stylesheet, not from here. */
  private lineHeight(): number {
    if (this.lineHeightPx > 0) return this.lineHeightPx;
    const probe = document.createElement('div');
    probe.className = 'log-line';
    probe.textContent = 'M';
    this.window.append(probe);
    const measured = probe.getBoundingClientRect().height;
    probe.remove();
    if (measured > 0) this.lineHeightPx = measured;
    return measured > 0 ? measured : FALLBACK_LINE_HEIGHT_PX;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

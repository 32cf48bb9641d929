// When the page draws. Changes come in bursts (a heartbeat from every host, thousands of output
// lines a second): drawing at most once per frame keeps that cheap, and a hidden tab draws nothing
// until it is shown. What the admin does is drawn at once instead, before their next click or
// keystroke is handled: a handler acts on what the page last drew, so a Start pressed right after a
// number is typed, or a Pull right after a box is unticked, must find that drawn already, however
// late the next frame is (a busy page, a loaded machine).
import { options } from 'preact';

/** Events an admin makes one at a time, each of which the next may act on. */
const DISCRETE_EVENTS: ReadonlySet<string> = new Set(['click', 'keydown', 'input', 'change', 'submit', 'toggle', 'close']);

export function scheduleDraws(): void {
  let pending: (() => void) | null = null;
  let frameRequested = false;
  const drawNow = () => {
    const flush = pending;
    pending = null;
    flush?.();
  };
  options.debounceRendering = (flush) => {
    pending = flush;
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(() => {
      frameRequested = false;
      drawNow();
    });
  };
  const previous = options.event;
  options.event = (event: Event) => {
    // A microtask queued here runs once the handler has returned: the browser runs them after each
    // event listener (so between a child's handler and an ancestor's for one event, were there both;
    // the page has no such pair).
    if (DISCRETE_EVENTS.has(event.type)) queueMicrotask(drawNow);
    return previous ? previous(event) : event;
  };
}

// One shared second ticker for everything that shows elapsed time ("12 s ago"), running only while
// something on screen needs it.
import { useObservable, type Subscribable } from './hooks.js';

export const TICK_MS = 1_000;

class Clock implements Subscribable {
  private readonly listeners = new Set<() => void>();
  private timer: number | null = null;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    this.timer ??= window.setInterval(() => this.tick(), TICK_MS);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer !== null) {
        window.clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  private tick(): void {
    for (const listener of this.listeners) listener();
  }
}

const clock = new Clock();

/** The current time, re-rendering the component every tick. */
export function useNow(): number {
  useObservable(clock);
  return Date.now();
}

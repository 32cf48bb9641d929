// The one way state reaches the screen: a store changes, tells its subscribers, and the components
// that read it render again on the next frame (see ui/draw-timing.ts, which batches renders per frame).
export type Listener = () => void;

export class Observable {
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  protected changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** A single value that can be watched. */
export class Cell<T> extends Observable {
  constructor(private current: T) {
    super();
  }

  get value(): T {
    return this.current;
  }

  set(next: T): void {
    if (Object.is(next, this.current)) return;
    this.current = next;
    this.changed();
  }
}

// The output tabs: which commands are open, which one is shown. They survive a page refresh
// (sessionStorage), and each open tab follows its command's output.
import { Observable } from './observable.js';
import type { OutputBook } from './output-book.js';

const STORAGE_KEY = 'nixfleet.output-tabs';
/** More tabs than this and the oldest closes: each holds its whole log in memory. */
export const MAX_OPEN_TABS = 12;

interface SavedTabs {
  ids: string[];
  active: string | null;
}

export class OutputTabs extends Observable {
  private list: string[] = [];
  private current: string | null = null;

  constructor(
    private readonly book: OutputBook,
    private readonly storage: Storage | null,
  ) {
    super();
  }

  get ids(): readonly string[] {
    return this.list;
  }

  get active(): string | null {
    return this.current;
  }

  /** Opens (or shows) the tab of a command. */
  open(commandId: string, show = true): void {
    if (!this.list.includes(commandId)) {
      this.list = [...this.list, commandId];
      this.book.follow(commandId);
      while (this.list.length > MAX_OPEN_TABS) {
        const [oldest] = this.list;
        if (oldest !== undefined) this.close(oldest);
      }
    }
    if (show || this.current === null) this.current = commandId;
    this.save();
    this.changed();
  }

  close(commandId: string): void {
    const index = this.list.indexOf(commandId);
    if (index < 0) return;
    this.list = this.list.filter((id) => id !== commandId);
    this.book.unfollow(commandId);
    if (this.current === commandId) this.current = this.list[Math.min(index, this.list.length - 1)] ?? null;
    this.save();
    this.changed();
  }

  show(commandId: string): void {
    if (!this.list.includes(commandId) || this.current === commandId) return;
    this.current = commandId;
    this.save();
    this.changed();
  }

  /** Reopens the tabs of before the page was refreshed. */
  restore(): void {
    const saved = this.load();
    for (const id of saved.ids) this.open(id, false);
    if (saved.active !== null && this.list.includes(saved.active)) this.show(saved.active);
  }

  private load(): SavedTabs {
    try {
      const parsed: unknown = JSON.parse(this.storage?.getItem(STORAGE_KEY) ?? 'null');
      if (!isSavedTabs(parsed)) return { ids: [], active: null };
      return parsed;
    } catch {
      return { ids: [], active: null };
    }
  }

  private save(): void {
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify({ ids: this.list, active: this.current } satisfies SavedTabs));
    } catch {
      // Storage may be full or forbidden (private mode); tabs then just do not survive a refresh.
    }
  }
}

function isSavedTabs(value: unknown): value is SavedTabs {
  if (typeof value !== 'object' || value === null) return false;
  const { ids, active } = value as Record<string, unknown>;
  return Array.isArray(ids) && ids.every((id) => typeof id === 'string') && (active === null || typeof active === 'string');
}

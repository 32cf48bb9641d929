// Messages for the admin that are not part of the fleet: a refused command, a failed request.
import { Observable } from './observable.js';

export type NoticeLevel = 'info' | 'error';

export interface Notice {
  id: number;
  level: NoticeLevel;
  text: string;
}

/** A notice disappears by itself after this long; an error stays until it is dismissed. */
export const INFO_NOTICE_MS = 8_000;
/** Older notices are dropped so a burst of refusals cannot fill the screen. */
const NOTICES_KEPT = 8;

export class Notices extends Observable {
  private list: Notice[] = [];
  private nextId = 1;

  get all(): readonly Notice[] {
    return this.list;
  }

  add(level: NoticeLevel, text: string): void {
    const notice = { id: this.nextId++, level, text };
    this.list = [...this.list, notice].slice(-NOTICES_KEPT);
    if (level === 'info') setTimeout(() => this.dismiss(notice.id), INFO_NOTICE_MS);
    this.changed();
  }

  dismiss(id: number): void {
    const next = this.list.filter((n) => n.id !== id);
    if (next.length === this.list.length) return;
    this.list = next;
    this.changed();
  }
}

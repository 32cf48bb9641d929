// One menu of host actions for the whole table, shown next to the row button that opened it. It is a
// popover (top layer: never clipped by the scrolling table; Escape and clicks outside close it).
// Below the commands, for one host: its agent token and its removal (state/host-admin.ts).
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { Cell } from '../../state/observable.js';
import { HOST_ACTIONS } from '../../state/host-actions.js';
import { useApp, useObservable } from '../hooks.js';

export interface MenuTarget {
  hostIds: readonly string[];
  /** The button that opened the menu: the menu sits below it and focus returns to it. */
  anchor: HTMLElement;
}

/** Space kept between the menu and the viewport's edges. */
const VIEWPORT_MARGIN_PX = 8;

export function ActionMenu({ target }: { target: Cell<MenuTarget | null> }) {
  const { runner, hostAdmin } = useApp();
  useObservable(target);
  const menuRef = useRef<HTMLDivElement>(null);
  const current = target.value;

  useLayoutEffect(() => {
    const menu = menuRef.current;
    if (!menu) return;
    if (!current) {
      if (isOpen(menu)) menu.hidePopover();
      return;
    }
    menu.showPopover();
    place(menu, current.anchor);
    menu.querySelector<HTMLButtonElement>('button')?.focus();
  }, [current]);

  const close = (returnFocus: boolean) => {
    const anchor = target.value?.anchor;
    target.set(null);
    if (returnFocus) anchor?.focus();
  };
  // Closing first gives the focus back to the row's button, where the dialog returns it when it closes.
  const choose = (run: (hostIds: readonly string[]) => void) => () => {
    const hostIds = current?.hostIds ?? [];
    close(true);
    run(hostIds);
  };
  const hostId = current?.hostIds.length === 1 ? current.hostIds[0] : undefined;

  return (
    <div
      ref={menuRef}
      popover="auto"
      role="menu"
      class="menu"
      aria-label={current ? `Actions for ${current.hostIds.join(', ')}` : 'Actions'}
      onToggle={() => {
        // Light dismiss (Escape, a click elsewhere) closes the popover by itself; keep the state in step.
        if (menuRef.current && !isOpen(menuRef.current) && target.value) close(true);
      }}
      onKeyDown={(event) => moveFocus(event, menuRef.current)}
    >
      {HOST_ACTIONS.map((action) => (
        <button
          key={action.command}
          type="button"
          role="menuitem"
          class={action.disrupts ? 'disruptive' : undefined}
          onClick={choose((hostIds) => runner.request(action, hostIds))}
        >
          {action.label}
          {action.disrupts ? '…' : ''}
        </button>
      ))}
      {hostId !== undefined && (
        <>
          <hr />
          <button type="button" role="menuitem" class="disruptive" onClick={choose(() => hostAdmin.askRotate(hostId))}>
            Rotate token…
          </button>
          <button type="button" role="menuitem" class="disruptive" onClick={choose(() => hostAdmin.askRemove(hostId))}>
            Remove host…
          </button>
        </>
      )}
    </div>
  );
}

function isOpen(menu: HTMLElement): boolean {
  return menu.matches(':popover-open');
}

/** Below the anchor, right-aligned with it; above it when there is no room below. */
function place(menu: HTMLElement, anchor: HTMLElement): void {
  const a = anchor.getBoundingClientRect();
  const m = menu.getBoundingClientRect();
  const below = a.bottom + m.height + VIEWPORT_MARGIN_PX <= window.innerHeight;
  const top = below ? a.bottom : Math.max(VIEWPORT_MARGIN_PX, a.top - m.height);
  const left = Math.min(Math.max(VIEWPORT_MARGIN_PX, a.right - m.width), window.innerWidth - m.width - VIEWPORT_MARGIN_PX);
  menu.style.top = `${top}px`;
  menu.style.left = `${left}px`;
}

function moveFocus(event: KeyboardEvent, menu: HTMLElement | null): void {
  if (!menu || (event.key !== 'ArrowDown' && event.key !== 'ArrowUp' && event.key !== 'Home' && event.key !== 'End')) return;
  event.preventDefault();
  const items = [...menu.querySelectorAll<HTMLButtonElement>('button')];
  const index = items.indexOf(document.activeElement as HTMLButtonElement);
  const next =
    event.key === 'Home' ? 0 : event.key === 'End' ? items.length - 1 : (index + (event.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
  items[next]?.focus();
}

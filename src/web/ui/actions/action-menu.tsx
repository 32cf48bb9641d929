// One menu of host actions for the whole table, shown next to the row button that opened it. It is a
// popover (top layer: never clipped by the scrolling table; Escape and clicks outside close it).
// Below the commands, for one host: its tags, its agent token and its removal (state/host-admin.ts).
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { Cell } from '../../state/observable.js';
import { HOST_ACTIONS } from '../../state/host-actions.js';
import { useApp, useObservable } from '../hooks.js';
import { isOpen, moveFocus, place } from '../popover.js';

export interface MenuTarget {
  hostIds: readonly string[];
  /** The button that opened the menu: the menu sits below it and focus returns to it. */
  anchor: HTMLElement;
}

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
          <button type="button" role="menuitem" onClick={choose(() => hostAdmin.editTags(hostId))}>
            Edit tags…
          </button>
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

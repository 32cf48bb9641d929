// What the page's popovers share (the action menu, a compartment's details, the tooltip): they sit in
// the top layer, so the scrolling table never clips them, and they are placed next to what opened them.

/** Space kept between a popover and the viewport's edges, and between a tooltip and its element. */
const VIEWPORT_MARGIN_PX = 8;

export function isOpen(popover: HTMLElement): boolean {
  return popover.matches(':popover-open');
}

/** Below the anchor, aligned with its right edge (or its left one); above it when there is no room below. */
export function place(popover: HTMLElement, anchor: HTMLElement, align: 'left' | 'right' = 'right'): void {
  const a = anchor.getBoundingClientRect();
  const p = popover.getBoundingClientRect();
  const below = a.bottom + p.height + VIEWPORT_MARGIN_PX <= window.innerHeight;
  const top = below ? a.bottom : Math.max(VIEWPORT_MARGIN_PX, a.top - p.height);
  const wanted = align === 'right' ? a.right - p.width : a.left;
  const left = Math.min(Math.max(VIEWPORT_MARGIN_PX, wanted), window.innerWidth - p.width - VIEWPORT_MARGIN_PX);
  popover.style.top = `${top}px`;
  popover.style.left = `${Math.max(VIEWPORT_MARGIN_PX, left)}px`;
}

/** Arrow keys, Home and End move the focus between a menu's buttons. */
export function moveFocus(event: KeyboardEvent, menu: HTMLElement | null): void {
  if (!menu || (event.key !== 'ArrowDown' && event.key !== 'ArrowUp' && event.key !== 'Home' && event.key !== 'End')) return;
  event.preventDefault();
  const items = [...menu.querySelectorAll<HTMLButtonElement>('button')];
  const index = items.indexOf(document.activeElement as HTMLButtonElement);
  const next =
    event.key === 'Home' ? 0 : event.key === 'End' ? items.length - 1 : (index + (event.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
  items[next]?.focus();
}

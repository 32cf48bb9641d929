// A tooltip for keyboard focus. The mouse gets an element's `title` from the browser, but a title
// never shows on focus; this shows the same text, under the element, while it has the keyboard
// focus. One element in the top layer serves the whole page, so the scrolling table never clips it.
import { useLayoutEffect, useRef } from 'preact/hooks';
import { Cell } from '../state/observable.js';
import { useObservable } from './hooks.js';
import { isOpen, place } from './popover.js';

const focused = new Cell<HTMLElement | null>(null);

/** Spread on an element with a `title`: its title then also shows while it has the keyboard focus. */
export const focusTip = {
  onFocus(event: FocusEvent): void {
    const element = event.currentTarget;
    // A click focuses a button too; only the keyboard's focus (focus-visible) lacks the title.
    if (element instanceof HTMLElement && element.matches(':focus-visible') && element.title) focused.set(element);
  },
  onBlur(): void {
    focused.set(null);
  },
};

export function FocusTooltip() {
  useObservable(focused);
  const ref = useRef<HTMLDivElement>(null);
  const anchor = focused.value;

  useLayoutEffect(() => {
    const tip = ref.current;
    if (!tip) return;
    if (!anchor?.isConnected) {
      if (isOpen(tip)) tip.hidePopover();
      return;
    }
    const show = () => {
      tip.textContent = anchor.title;
      if (!isOpen(tip)) tip.showPopover();
      place(tip, anchor, 'left');
    };
    show();
    // The reason may change while it is read (a host's update redraws its cell): the tip follows.
    const retitled = new MutationObserver(show);
    retitled.observe(anchor, { attributes: true, attributeFilter: ['title'] });
    // A scroll that moves the element (not one of the log streaming elsewhere) leaves the tip behind:
    // it goes, and comes back with the next focus.
    const hide = (event: Event) => {
      if (event.target instanceof Node && event.target.contains(anchor)) focused.set(null);
    };
    window.addEventListener('scroll', hide, { capture: true });
    return () => {
      retitled.disconnect();
      window.removeEventListener('scroll', hide, { capture: true });
    };
  }, [anchor]);

  return <div ref={ref} popover="manual" role="tooltip" class="tooltip" />;
}

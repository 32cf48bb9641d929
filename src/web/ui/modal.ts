// A modal <dialog> kept in step with a store: shown while `open` is true, closed when it turns false.
// showModal() gives what a dialog needs for the keyboard: focus moves in (to the `autofocus`
// element), stays inside, Escape closes, and focus goes back to where it was on close.
import type { RefObject } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';

export function useModal(open: boolean): RefObject<HTMLDialogElement> {
  const ref = useRef<HTMLDialogElement>(null);
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return ref;
}

// The details of one compartment, opened by clicking its cell: the status, why, since when, and for
// an outdated one the action that fixes it (git → Pull, system → Switch, tests → Test). The action
// goes through the same runner as the Actions menu, so a disruptive one is confirmed the same way.
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { CompartmentName, Host } from '../../../protocol/model.js';
import { compartmentLabel, fixFor } from '../../state/compartments.js';
import type { Cell } from '../../state/observable.js';
import { useNow } from '../clock.js';
import { momentText, timeAgo } from '../format.js';
import { useApp, useObservable } from '../hooks.js';
import { isOpen, place } from '../popover.js';
import { STATUS_MARKS } from './compartment-cells.js';

export interface CompartmentTarget {
  hostId: string;
  name: CompartmentName;
  /** The cell that opened the details: they sit below it and focus returns to it. */
  anchor: HTMLElement;
}

export function CompartmentDetail({ target }: { target: Cell<CompartmentTarget | null> }) {
  const { fleet } = useApp();
  useObservable(target);
  useObservable(fleet);
  const ref = useRef<HTMLDivElement>(null);
  const current = target.value;
  const host = current ? fleet.hosts.get(current.hostId) : undefined;

  useLayoutEffect(() => {
    const popover = ref.current;
    if (!popover) return;
    if (!current) {
      if (isOpen(popover)) popover.hidePopover();
      return;
    }
    popover.showPopover();
    place(popover, current.anchor, 'left');
    (popover.querySelector<HTMLButtonElement>('button') ?? popover).focus();
  }, [current]);

  const close = () => {
    const anchor = target.value?.anchor;
    target.set(null);
    anchor?.focus();
  };

  return (
    <div
      ref={ref}
      popover="auto"
      role="dialog"
      tabIndex={-1}
      class="menu compartment-detail"
      aria-label={current ? `${compartmentLabel(current.name)} of ${current.hostId}` : 'Compartment'}
      onToggle={() => {
        // Light dismiss (Escape, a click elsewhere) closes the popover by itself; keep the state in step.
        if (ref.current && !isOpen(ref.current) && target.value) close();
      }}
    >
      {current && host && <Details host={host} name={current.name} onClose={close} />}
    </div>
  );
}

function Details({ host, name, onClose }: { host: Host; name: CompartmentName; onClose(): void }) {
  const { runner } = useApp();
  const now = useNow();
  const compartment = host.compartments[name];
  const fix = fixFor(name, compartment);
  const hostId = host.id;
  return (
    <>
      <p class="detail-head">
        <span class={`compartment status-${compartment.status}`}>
          <span class="mark" aria-hidden="true">
            {STATUS_MARKS[compartment.status]}
          </span>
          {compartmentLabel(name)}
        </span>{' '}
        <strong>{compartment.status}</strong> on {hostId}
      </p>
      {compartment.message && <p class="detail-message">{compartment.message}</p>}
      {compartment.since && (
        <p class="muted">
          since {momentText(compartment.since, now)} ({timeAgo(compartment.since, now)})
        </p>
      )}
      {fix?.kind === 'action' && (
        <button
          type="button"
          class={fix.action.disrupts ? 'disruptive' : 'primary'}
          onClick={() => {
            onClose();
            runner.request(fix.action, [hostId]);
          }}
        >
          {fix.action.label}
          {fix.action.disrupts ? '…' : ''}
        </button>
      )}
      {fix?.kind === 'hint' && <p class="detail-hint">{fix.text}</p>}
    </>
  );
}

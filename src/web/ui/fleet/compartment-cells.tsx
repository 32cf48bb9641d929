// A host's five compartments as coloured cells: green ok, yellow outdated, red error, blue working,
// grey unknown. Each is a button: its title (and, on keyboard focus, the tooltip) says why and since
// when; a click opens its details, with the action that fixes an outdated one.
import type { Compartment, CompartmentName, Host } from '../../../protocol/model.js';
import { compartmentLabel, COMPARTMENTS } from '../../state/compartments.js';
import { momentText } from '../format.js';
import { focusTip } from '../tooltip.js';

/** Said besides the colour, so that no one needs to tell the colours apart. */
export const STATUS_MARKS: Record<Compartment['status'], string> = { ok: '✓', outdated: '!', error: '✕', working: '…', unknown: '?' };

/** `git: outdated — 3 commits behind main at abc1234: pull (since 10:32)` */
export function compartmentSummary(name: CompartmentName, compartment: Compartment, nowMs: number): string {
  const since = compartment.since ? ` (since ${momentText(compartment.since, nowMs)})` : '';
  const message = compartment.message ? ` — ${compartment.message}` : '';
  return `${compartmentLabel(name)}: ${compartment.status}${message}${since}`;
}

export interface CompartmentCellsProps {
  host: Host;
  onOpen(hostId: string, name: CompartmentName, anchor: HTMLElement): void;
}

export function CompartmentCells({ host, onOpen }: CompartmentCellsProps) {
  // A label that must not change every second (the row is redrawn only when its host changes).
  const now = Date.now();
  return (
    <span class="compartments">
      {COMPARTMENTS.map((name) => {
        const compartment = host.compartments[name];
        const summary = compartmentSummary(name, compartment, now);
        return (
          <button
            key={name}
            type="button"
            class={`compartment status-${compartment.status}`}
            data-compartment={name}
            data-status={compartment.status}
            title={summary}
            aria-label={`${host.hostname} ${summary}`}
            aria-haspopup="dialog"
            onClick={(event) => onOpen(host.id, name, event.currentTarget)}
            {...focusTip}
          >
            <span class="mark" aria-hidden="true">
              {STATUS_MARKS[compartment.status]}
            </span>
            {compartmentLabel(name)}
          </button>
        );
      })}
    </span>
  );
}

// Where the fleet stands, above the table: "12 current · 3 behind · 1 failing · 2 offline". Each part
// is a toggle that filters the table to those hosts; the active one is pressed and named, with a way
// back to every host.
import type { FleetSummary, SummaryFilter } from '../../state/fleet-summary.js';

/** The parts in the order they are read; offline comes last, apart, as it overlaps the others. */
const PARTS: readonly { key: SummaryFilter; word: string }[] = [
  { key: 'current', word: 'current' },
  { key: 'behind', word: 'behind' },
  { key: 'failing', word: 'failing' },
  { key: 'working', word: 'working' },
  { key: 'unknown', word: 'unknown' },
  { key: 'offline', word: 'offline' },
];

export interface FleetSummaryProps {
  summary: FleetSummary;
  active: SummaryFilter | null;
  onChoose(filter: SummaryFilter | null): void;
}

export function FleetSummaryBar({ summary, active, onChoose }: FleetSummaryProps) {
  // A part with no hosts is left out, unless it is the filter in use (it must stay to be undone).
  const parts = PARTS.filter((part) => summary[part.key] > 0 || part.key === active);
  const activeWord = PARTS.find((part) => part.key === active)?.word;
  return (
    <div class="summary" role="group" aria-label="Hosts by state; choose one to show only those">
      {parts.map((part) => (
        <button
          key={part.key}
          type="button"
          class={`summary-part standing-${part.key}`}
          data-filter={part.key}
          data-count={summary[part.key]}
          aria-pressed={part.key === active}
          onClick={() => onChoose(part.key === active ? null : part.key)}
        >
          <strong>{summary[part.key]}</strong> {part.word}
        </button>
      ))}
      {activeWord && (
        <span class="summary-filter" role="status">
          Showing only {activeWord} hosts.{' '}
          <button type="button" class="quiet" onClick={() => onChoose(null)}>
            Show all
          </button>
        </span>
      )}
    </div>
  );
}

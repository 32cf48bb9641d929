// Above the table: adding a host, starting a rollout, how many hosts are online, where the fleet
// stands (a filter), the tag and name filters, the sort (for the card layout, which has no column
// headers) and the actions for the selected hosts.
import type { FleetSummary, SummaryFilter } from '../../state/fleet-summary.js';
import { HOST_ACTIONS } from '../../state/host-actions.js';
import { useApp } from '../hooks.js';
import { SORT_COLUMNS } from './columns.js';
import { FleetSummaryBar } from './fleet-summary.js';
import type { SortKey, SortOrder } from './sorting.js';

export interface FleetToolbarProps {
  total: number;
  online: number;
  summary: FleetSummary;
  summaryFilter: SummaryFilter | null;
  onSummaryFilter(filter: SummaryFilter | null): void;
  filter: string;
  onFilter(value: string): void;
  order: SortOrder;
  onOrder(order: SortOrder): void;
  /** Every tag in the fleet; the tag filter offers them. */
  tags: readonly string[];
  tagFilter: string | null;
  onTagFilter(tag: string | null): void;
  selectedIds: readonly string[];
  onClearSelection(): void;
  /** Opens the "Rollout…" dialog; `fromSelection` when asked from the selection's bar. */
  onRollout(fromSelection: boolean): void;
}

export function FleetToolbar(props: FleetToolbarProps) {
  const { runner, hostAdmin } = useApp();
  const { selectedIds } = props;
  return (
    <div class="toolbar">
      <h2 id="fleet-title">Hosts</h2>
      <button type="button" aria-haspopup="dialog" onClick={() => hostAdmin.openAdd()}>
        Add host
      </button>
      <button type="button" aria-haspopup="dialog" onClick={() => props.onRollout(false)}>
        Rollout…
      </button>
      <span class="online-count" role="status" data-online={props.online}>
        {props.online} of {props.total} online
      </span>
      <FleetSummaryBar summary={props.summary} active={props.summaryFilter} onChoose={props.onSummaryFilter} />
      {(props.tags.length > 0 || props.tagFilter !== null) && (
        <TagFilter tags={props.tags} value={props.tagFilter} onChange={props.onTagFilter} />
      )}
      <input
        type="search"
        class="filter"
        placeholder="Filter by name"
        aria-label="Filter hosts by name"
        value={props.filter}
        onInput={(event) => props.onFilter(event.currentTarget.value)}
      />
      <label class="sort-select">
        Sort by{' '}
        <select
          value={`${props.order.key}:${props.order.descending ? 'desc' : 'asc'}`}
          onChange={(event) => {
            const [key, direction] = event.currentTarget.value.split(':');
            props.onOrder({ key: key as SortKey, descending: direction === 'desc' });
          }}
        >
          {SORT_COLUMNS.flatMap((column) => [
            <option key={`${column.key}:asc`} value={`${column.key}:asc`}>
              {column.label} ↑
            </option>,
            <option key={`${column.key}:desc`} value={`${column.key}:desc`}>
              {column.label} ↓
            </option>,
          ])}
        </select>
      </label>
      {selectedIds.length > 0 && (
        <div class="bulk" role="group" aria-label="Actions for the selected hosts">
          <span class="bulk-count">{selectedIds.length} selected:</span>
          {HOST_ACTIONS.map((action) => (
            <button key={action.command} type="button" onClick={() => runner.request(action, selectedIds)}>
              {action.label}
              {action.disrupts ? '…' : ''}
            </button>
          ))}
          <button type="button" aria-haspopup="dialog" onClick={() => props.onRollout(true)}>
            Rollout…
          </button>
          <button type="button" class="quiet" onClick={props.onClearSelection}>
            Clear selection
          </button>
        </div>
      )}
    </div>
  );
}

/** Shows only the hosts with one tag (the admin's or the agent's); with the other filters, all apply. */
function TagFilter({ tags, value, onChange }: { tags: readonly string[]; value: string | null; onChange(tag: string | null): void }) {
  // A tag in use stays offered while no host has it any more, so the filter can be seen and undone.
  const offered = value !== null && !tags.includes(value) ? [...tags, value] : tags;
  return (
    <select class="tag-filter" aria-label="Filter hosts by tag" value={value ?? ''} onChange={(event) => onChange(event.currentTarget.value || null)}>
      <option value="">All tags</option>
      {offered.map((tag) => (
        <option key={tag} value={tag}>
          Tag: {tag}
        </option>
      ))}
    </select>
  );
}

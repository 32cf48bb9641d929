// Above the table: adding a host, how many hosts are online, the name filter, the sort (for the card
// layout, which has no column headers) and the actions for the selected hosts.
import { HOST_ACTIONS } from '../../state/host-actions.js';
import { useApp } from '../hooks.js';
import { SORT_COLUMNS } from './columns.js';
import type { SortKey, SortOrder } from './sorting.js';

export interface FleetToolbarProps {
  total: number;
  online: number;
  filter: string;
  onFilter(value: string): void;
  order: SortOrder;
  onOrder(order: SortOrder): void;
  selectedIds: readonly string[];
  onClearSelection(): void;
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
      <span class="online-count" role="status" data-online={props.online}>
        {props.online} of {props.total} online
      </span>
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
            </button>
          ))}
          <button type="button" class="quiet" onClick={props.onClearSelection}>
            Clear selection
          </button>
        </div>
      )}
    </div>
  );
}

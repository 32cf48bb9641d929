// The table's header: one sort button per sortable column, announcing its order to screen readers.
import type { SortKey, SortOrder } from './sorting.js';

export interface ColumnHead {
  key: SortKey | null;
  label: string;
}

export const COLUMN_HEADS: readonly ColumnHead[] = [
  { key: 'hostname', label: 'Host' },
  { key: 'os', label: 'OS' },
  { key: 'status', label: 'Status' },
  { key: 'cpu', label: 'CPU' },
  { key: 'ram', label: 'RAM' },
  { key: 'last_seen', label: 'Last seen' },
  { key: 'agent_version', label: 'Agent' },
  { key: 'generation', label: 'Generation' },
  { key: 'standing', label: 'Compartments' },
  { key: 'command', label: 'Command' },
];

export const SORT_COLUMNS = COLUMN_HEADS.filter((c): c is ColumnHead & { key: SortKey } => c.key !== null);

export function SortHeader({ column, order, onOrder }: { column: ColumnHead; order: SortOrder; onOrder(order: SortOrder): void }) {
  const { key } = column;
  if (key === null) return <th scope="col">{column.label}</th>;
  const active = order.key === key;
  return (
    <th scope="col" aria-sort={active ? (order.descending ? 'descending' : 'ascending') : undefined}>
      <button type="button" class="sort" onClick={() => onOrder({ key, descending: active && !order.descending })}>
        {column.label}
        <span class="sort-mark" aria-hidden="true">
          {active ? (order.descending ? ' ▼' : ' ▲') : ''}
        </span>
      </button>
    </th>
  );
}

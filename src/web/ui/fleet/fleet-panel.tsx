// The fleet: every host, live. The table turns into cards on narrow screens (CSS only), so there is
// one list of rows to keep in step with the dashboard.
import { useMemo, useState } from 'preact/hooks';
import type { Cell } from '../../state/observable.js';
import { useApp, useObservable } from '../hooks.js';
import type { MenuTarget } from '../actions/action-menu.js';
import { COLUMN_HEADS, SortHeader } from './columns.js';
import { FleetToolbar } from './fleet-toolbar.js';
import { HostRow, type RowHandlers } from './host-row.js';
import { DEFAULT_SORT, visibleHosts } from './sorting.js';

export function FleetPanel({ menu }: { menu: Cell<MenuTarget | null> }) {
  const { fleet, tabs, socket } = useApp();
  useObservable(fleet);
  useObservable(socket.state);
  const [filter, setFilter] = useState('');
  const [order, setOrder] = useState(DEFAULT_SORT);
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());

  // Stable across renders, so that memoized rows are not re-rendered for new callbacks.
  const handlers = useMemo<RowHandlers>(
    () => ({
      toggle: (hostId) =>
        setSelected((previous) => {
          const next = new Set(previous);
          if (!next.delete(hostId)) next.add(hostId);
          return next;
        }),
      openMenu: (hostId, anchor) => menu.set({ hostIds: [hostId], anchor }),
      openOutput: (commandId) => tabs.open(commandId),
    }),
    [menu, tabs],
  );

  const hosts = visibleHosts(fleet.hosts.values(), filter, order);
  const selectedIds = [...selected].filter((id) => fleet.hosts.has(id));
  const allShownSelected = hosts.length > 0 && hosts.every((h) => selected.has(h.id));
  let online = 0;
  for (const host of fleet.hosts.values()) if (host.status === 'online') online++;

  // While the socket is down what the table shows may be out of date; it is dimmed until it is live again.
  const live = socket.state.value.kind === 'open' && fleet.hasState;
  return (
    <section class={live ? 'fleet panel' : 'fleet panel stale'} aria-labelledby="fleet-title">
      <FleetToolbar
        total={fleet.hosts.size}
        online={online}
        filter={filter}
        onFilter={setFilter}
        order={order}
        onOrder={setOrder}
        selectedIds={selectedIds}
        onClearSelection={() => setSelected(new Set())}
      />
      <div class="table-scroll">
        <table class="fleet-table">
          <thead>
            <tr>
              <th scope="col" class="select">
                <input
                  type="checkbox"
                  aria-label="Select every host shown"
                  checked={allShownSelected}
                  onChange={() => setSelected(allShownSelected ? new Set() : new Set(hosts.map((h) => h.id)))}
                />
              </th>
              {COLUMN_HEADS.map((column) => (
                <SortHeader key={column.label} column={column} order={order} onOrder={setOrder} />
              ))}
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {hosts.map((host) => (
              <HostRow
                key={host.id}
                host={host}
                latest={fleet.latestCommandOf(host.id)}
                progress={fleet.progress.get(host.id)}
                selected={selected.has(host.id)}
                handlers={handlers}
              />
            ))}
          </tbody>
        </table>
      </div>
      {hosts.length === 0 && (
        <p class="empty">
          {!fleet.hasState ? 'Loading the fleet…' : fleet.hosts.size === 0 ? 'No host has connected yet.' : 'No host matches the filter.'}
        </p>
      )}
    </section>
  );
}

// The fleet: every host, live. The table turns into cards on narrow screens (CSS only), so there is
// one list of rows to keep in step with the dashboard.
import { useMemo, useState } from 'preact/hooks';
import type { Cell } from '../../state/observable.js';
import { useApp, useObservable } from '../hooks.js';
import type { MenuTarget } from '../actions/action-menu.js';
import { summarize, type SummaryFilter } from '../../state/fleet-summary.js';
import { fleetTags } from '../../state/host-tags.js';
import type { RolloutTarget } from '../../state/rollout-plan.js';
import { COLUMN_HEADS, SortHeader } from './columns.js';
import type { CompartmentTarget } from './compartment-detail.js';
import { EmptyFleet } from './empty-fleet.js';
import { FleetToolbar } from './fleet-toolbar.js';
import { HostRow, type RowHandlers } from './host-row.js';
import { DEFAULT_SORT, visibleHosts } from './sorting.js';

export interface FleetPanelProps {
  menu: Cell<MenuTarget | null>;
  compartment: Cell<CompartmentTarget | null>;
}

export function FleetPanel({ menu, compartment }: FleetPanelProps) {
  const { fleet, tabs, socket, runner, rolloutRunner } = useApp();
  useObservable(fleet);
  useObservable(socket.state);
  const [filter, setFilter] = useState('');
  const [order, setOrder] = useState(DEFAULT_SORT);
  const [summaryFilter, setSummaryFilter] = useState<SummaryFilter | null>(null);
  const [tagFilter, setTagFilter] = useState<string | null>(null);
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
      openCompartment: (hostId, name, anchor) => compartment.set({ hostId, name, anchor }),
      openOutput: (commandId) => tabs.open(commandId),
      cancelQueued: (command) => void runner.cancelQueued(command),
    }),
    [menu, compartment, tabs, runner],
  );

  const hosts = visibleHosts(fleet.hosts.values(), filter, order, summaryFilter, tagFilter);
  const selectedIds = [...selected].filter((id) => fleet.hosts.has(id));
  // From the selection's bar: the selected hosts. From the toolbar: the tag shown, else the selection, else every host behind.
  const openRollout = (fromSelection: boolean) => {
    const target: RolloutTarget =
      tagFilter !== null && !fromSelection
        ? { kind: 'tag', tag: tagFilter }
        : selectedIds.length > 0
          ? { kind: 'hosts', hostIds: selectedIds }
          : { kind: 'behind' };
    rolloutRunner.open(target, selectedIds);
  };
  const allShownSelected = hosts.length > 0 && hosts.every((h) => selected.has(h.id));
  let online = 0;
  for (const host of fleet.hosts.values()) if (host.status === 'online') online++;

  // While the socket is down what the table shows may be out of date; it is dimmed until it is live again.
  const live = socket.state.value.kind === 'open' && fleet.hasState;
  // No host at all: the table gives way to how to connect the first agent.
  const emptyFleet = fleet.hasState && fleet.hosts.size === 0;
  return (
    <section class={live ? 'fleet panel' : 'fleet panel stale'} aria-labelledby="fleet-title">
      <FleetToolbar
        total={fleet.hosts.size}
        online={online}
        summary={summarize(fleet.hosts.values())}
        summaryFilter={summaryFilter}
        onSummaryFilter={setSummaryFilter}
        filter={filter}
        onFilter={setFilter}
        order={order}
        onOrder={setOrder}
        tags={fleetTags(fleet.hosts.values())}
        tagFilter={tagFilter}
        onTagFilter={setTagFilter}
        selectedIds={selectedIds}
        onClearSelection={() => setSelected(new Set())}
        onRollout={openRollout}
      />
      <div class="table-scroll" hidden={emptyFleet}>
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
                commands={fleet.commandsOf(host.id)}
                progress={fleet.progress.get(host.id)}
                selected={selected.has(host.id)}
                handlers={handlers}
              />
            ))}
          </tbody>
        </table>
      </div>
      {emptyFleet ? (
        <EmptyFleet />
      ) : (
        hosts.length === 0 && <p class="empty">{fleet.hasState ? 'No host matches the filter.' : 'Loading the fleet…'}</p>
      )}
    </section>
  );
}

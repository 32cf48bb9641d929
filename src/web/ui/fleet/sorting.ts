// Which hosts the table shows and in what order: a name filter, the summary's filter (a standing or
// offline), the tag filter (all three at once) and a sort by any sortable column.
import type { Host } from '../../../protocol/model.js';
import { matchesSummaryFilter, STANDING_RANK, standingOf, type SummaryFilter } from '../../state/fleet-summary.js';
import { matchesTagFilter } from '../../state/host-tags.js';
import { presenceOf, type Presence } from '../format.js';

export type SortKey =
  | 'hostname'
  | 'os'
  | 'status'
  | 'cpu'
  | 'ram'
  | 'last_seen'
  | 'agent_version'
  | 'generation'
  | 'standing'
  | 'command';

export interface SortOrder {
  key: SortKey;
  descending: boolean;
}

export const DEFAULT_SORT: SortOrder = { key: 'hostname', descending: false };

const PRESENCE_RANK: Record<Presence, number> = { online: 0, reconnecting: 1, offline: 2 };

/** Missing numbers sort after every present one, whichever the direction. */
const MISSING = Number.POSITIVE_INFINITY;

const byText = (value: (h: Host) => string) => (a: Host, b: Host) => value(a).localeCompare(value(b), undefined, { numeric: true });
const byNumber = (value: (h: Host) => number) => (a: Host, b: Host) => value(a) - value(b);

export const COMPARATORS: Record<SortKey, (a: Host, b: Host) => number> = {
  hostname: byText((h) => h.hostname),
  os: byText((h) => `${h.host_type} ${h.os_version}`),
  status: byNumber((h) => PRESENCE_RANK[presenceOf(h)]),
  cpu: byNumber((h) => h.metrics?.cpu ?? MISSING),
  ram: byNumber((h) => h.metrics?.ram ?? MISSING),
  last_seen: byNumber((h) => (h.last_seen ? -Date.parse(h.last_seen) : MISSING)),
  agent_version: byText((h) => h.agent_version),
  generation: byText((h) => h.generation),
  // Ascending puts the hosts that need the admin first: failing, behind, working, unknown, current.
  standing: byNumber((h) => STANDING_RANK[standingOf(h)]),
  command: byText((h) => h.running_command?.command ?? '\uffff'),
};

export function visibleHosts(
  hosts: Iterable<Host>,
  filter: string,
  order: SortOrder,
  summaryFilter: SummaryFilter | null = null,
  tagFilter: string | null = null,
): Host[] {
  const needle = filter.trim().toLowerCase();
  const shown = [...hosts].filter(
    (h) => (needle === '' || h.hostname.toLowerCase().includes(needle)) && matchesSummaryFilter(h, summaryFilter) && matchesTagFilter(h, tagFilter),
  );
  const compare = COMPARATORS[order.key];
  const direction = order.descending ? -1 : 1;
  return shown.sort((a, b) => direction * compare(a, b) || a.hostname.localeCompare(b.hostname));
}

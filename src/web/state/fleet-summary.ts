// Where each host stands against the desired state, judged from the compartments the dashboard
// computes, and the summary above the table ("12 current, 3 behind, 1 failing") that filters it.
import type { Host } from '../../protocol/model.js';
import { STANDINGS, standingOf, summarize, type FleetSummary, type Standing } from '../../protocol/standing.js';

/** What a summary button filters the table to: a standing, or the hosts that are offline. */
export type SummaryFilter = Standing | 'offline';

export { STANDINGS, standingOf, summarize, type FleetSummary, type Standing };

export function matchesSummaryFilter(host: Host, filter: SummaryFilter | null): boolean {
  if (filter === null) return true;
  if (filter === 'offline') return host.status === 'offline';
  return standingOf(host) === filter;
}

/** Standings in the order of how much they need the admin, for sorting. */
export const STANDING_RANK: Record<Standing, number> = { failing: 0, behind: 1, working: 2, unknown: 3, current: 4 };

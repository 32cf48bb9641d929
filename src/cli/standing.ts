// The fleet's standing as `nixfleet status` says it: the protocol's rule (src/protocol/standing.ts,
// the same as the web summary's), with the number of hosts.
import type { Host } from '../protocol/model.js';
import { summarize as summarizeStandings, type FleetSummary as StandingCounts } from '../protocol/standing.js';

export { STANDINGS, standingOf, type Standing } from '../protocol/standing.js';

export type FleetSummary = StandingCounts & { total: number };

export function summarize(hosts: Iterable<Pick<Host, 'compartments' | 'status'>>): FleetSummary {
  const list = [...hosts];
  return { ...summarizeStandings(list), total: list.length };
}

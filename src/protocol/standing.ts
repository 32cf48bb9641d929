// Where a host stands against the desired state, judged from its compartments: the one rule behind the
// web summary above the fleet table and `nixfleet status`. Free of TypeBox, so the web bundle imports it.
import { COMPARTMENT_NAMES } from './constants.js';
import type { CompartmentStatus, Host } from './model.js';

/**
 * One standing per host, the first that applies:
 * - failing: any compartment is `error`;
 * - behind: any is `outdated`;
 * - working: any is `working` (a pull, switch or test runs);
 * - current: git is `ok` and nothing of the above;
 * - unknown: everything else (no fleet repository, nothing reported yet).
 */
export const STANDINGS = ['current', 'behind', 'failing', 'working', 'unknown'] as const;
export type Standing = (typeof STANDINGS)[number];

export function standingOf(host: Pick<Host, 'compartments'>): Standing {
  const statuses = new Set<CompartmentStatus>(COMPARTMENT_NAMES.map((name) => host.compartments[name].status));
  if (statuses.has('error')) return 'failing';
  if (statuses.has('outdated')) return 'behind';
  if (statuses.has('working')) return 'working';
  if (host.compartments.git.status === 'ok') return 'current';
  return 'unknown';
}

/** Hosts by standing, and apart from that how many are offline (they keep the standing they last had). */
export type FleetSummary = Record<Standing | 'offline', number>;

export function summarize(hosts: Iterable<Pick<Host, 'compartments' | 'status'>>): FleetSummary {
  const summary: FleetSummary = { current: 0, behind: 0, failing: 0, working: 0, unknown: 0, offline: 0 };
  for (const host of hosts) {
    summary[standingOf(host)]++;
    if (host.status === 'offline') summary.offline++;
  }
  return summary;
}

// The five compartments as the page names them, and what fixes one that is behind: the action the
// admin is offered when clicking a yellow cell (it goes through the same runner as the menu).
import type { Compartment, CompartmentName } from '../../protocol/model.js';
import { hostAction, type HostAction } from './host-actions.js';

/** Keyed by every compartment, so a new one fails the build until it has a label. Order is the table's. */
const LABELS: Record<CompartmentName, string> = { agent: 'agent', git: 'git', lock: 'lock', system: 'system', tests: 'tests' };

export const COMPARTMENTS = Object.keys(LABELS) as CompartmentName[];

export function compartmentLabel(name: CompartmentName): string {
  return LABELS[name];
}

/**
 * What brings an outdated compartment back: git and lock come with a pull (the lock is the
 * repository's), the system with a switch, the tests with a test run. The agent is updated on the
 * host itself, so there is only a hint.
 */
export type Fix = { kind: 'action'; action: HostAction } | { kind: 'hint'; text: string };

const FIXES: Record<CompartmentName, Fix> = {
  agent: {
    kind: 'hint',
    text: 'No command updates the agent from here: install the newer nixfleet-agent on the host (usually with its configuration).',
  },
  git: { kind: 'action', action: hostAction('pull') },
  lock: { kind: 'action', action: hostAction('pull') },
  system: { kind: 'action', action: hostAction('switch') },
  tests: { kind: 'action', action: hostAction('test') },
};

/** The fix offered for a compartment in this state; only an outdated one has one. */
export function fixFor(name: CompartmentName, compartment: Compartment): Fix | null {
  return compartment.status === 'outdated' ? FIXES[name] : null;
}

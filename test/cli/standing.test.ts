// Where a host stands, as `nixfleet status` counts it: the same rule as the web summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { standingOf, summarize } from '../../src/cli/standing.js';
import type { CompartmentStatus, Compartments } from '../../src/protocol/model.js';

function compartments(statuses: Partial<Record<keyof Compartments, CompartmentStatus>>): Compartments {
  const one = (name: keyof Compartments) => ({ status: statuses[name] ?? 'ok', message: '', since: null });
  return { agent: one('agent'), git: one('git'), lock: one('lock'), system: one('system'), tests: one('tests') };
}

test('the first standing that applies: failing, behind, working, current, unknown', () => {
  const cases: [Partial<Record<keyof Compartments, CompartmentStatus>>, string][] = [
    [{}, 'current'],
    [{ tests: 'unknown' }, 'current'],
    [{ lock: 'outdated' }, 'behind'],
    [{ git: 'outdated', system: 'error' }, 'failing'],
    [{ system: 'working', lock: 'outdated' }, 'behind'],
    [{ system: 'working' }, 'working'],
    [{ git: 'unknown' }, 'unknown'],
  ];
  for (const [statuses, standing] of cases) assert.equal(standingOf({ compartments: compartments(statuses) }), standing, JSON.stringify(statuses));
});

test('offline hosts are counted apart as well, so the standings add up to the fleet', () => {
  const summary = summarize([
    { status: 'online', compartments: compartments({}) },
    { status: 'offline', compartments: compartments({}) },
    { status: 'offline', compartments: compartments({ git: 'error' }) },
  ]);
  assert.deepEqual(summary, { total: 3, current: 2, behind: 0, failing: 1, working: 0, unknown: 0, offline: 2 });
});

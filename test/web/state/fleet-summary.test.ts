// Where a host stands, from its compartments, and the summary that filters the table. The rules:
// any error → failing; else any outdated → behind; else any working → working; else git ok →
// current; else unknown. Offline is counted apart and overlaps the standings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompartmentStatus } from '../../../src/protocol/model.js';
import { matchesSummaryFilter, standingOf, summarize, type Standing } from '../../../src/web/state/fleet-summary.js';
import { compartments, host } from '../helpers/fixtures.js';

const TABLE: [statuses: Parameters<typeof compartments>[0], standing: Standing][] = [
  [{}, 'current'],
  [{ tests: 'unknown' }, 'current'],
  [{ agent: 'unknown', lock: 'unknown', system: 'unknown', tests: 'unknown' }, 'current'],
  [{ git: 'outdated' }, 'behind'],
  [{ system: 'outdated', tests: 'working' }, 'behind'],
  [{ agent: 'outdated' }, 'behind'],
  [{ tests: 'error' }, 'failing'],
  [{ git: 'outdated', system: 'error' }, 'failing'],
  [{ git: 'error', tests: 'working' }, 'failing'],
  [{ git: 'working' }, 'working'],
  [{ system: 'working' }, 'working'],
  [{ git: 'unknown' }, 'unknown'],
  [{ agent: 'unknown', git: 'unknown', lock: 'unknown', system: 'unknown', tests: 'unknown' }, 'unknown'],
];

for (const [statuses, standing] of TABLE) {
  test(`${JSON.stringify(statuses)} stands ${standing}`, () => {
    assert.equal(standingOf(host('h', { compartments: compartments(statuses) })), standing);
  });
}

const fleet = [
  host('ok-1'),
  host('ok-2'),
  host('ok-off', { status: 'offline', connected: false }),
  host('behind', { compartments: compartments({ git: 'outdated' }) }),
  host('failing-off', { status: 'offline', connected: false, compartments: compartments({ tests: 'error' as CompartmentStatus }) }),
  host('pulling', { compartments: compartments({ git: 'working' }) }),
  host('new', { compartments: compartments({ git: 'unknown' }) }),
];

test('the summary counts each host once by standing, and offline hosts apart', () => {
  assert.deepEqual(summarize(fleet), { current: 3, behind: 1, failing: 1, working: 1, unknown: 1, offline: 2 });
  assert.deepEqual(summarize([]), { current: 0, behind: 0, failing: 0, working: 0, unknown: 0, offline: 0 });
});

test('a summary filter keeps the hosts of that standing, or the offline ones; none keeps all', () => {
  const kept = (filter: Parameters<typeof matchesSummaryFilter>[1]) => fleet.filter((h) => matchesSummaryFilter(h, filter)).map((h) => h.id);
  assert.deepEqual(kept('current'), ['ok-1', 'ok-2', 'ok-off']);
  assert.deepEqual(kept('failing'), ['failing-off']);
  assert.deepEqual(kept('offline'), ['ok-off', 'failing-off']);
  assert.equal(kept(null).length, fleet.length);
});

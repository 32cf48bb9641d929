// The action offered for an outdated compartment: git and lock → Pull, system → Switch (confirmed,
// as from the menu), tests → Test; the agent only gets a hint. Nothing is offered for other statuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompartmentName } from '../../../src/protocol/model.js';
import { COMPARTMENTS, fixFor } from '../../../src/web/state/compartments.js';
import { compartment } from '../helpers/fixtures.js';

test('the table shows the five compartments in the dashboard’s order', () => {
  assert.deepEqual(COMPARTMENTS, ['agent', 'git', 'lock', 'system', 'tests']);
});

const FIXES: Record<CompartmentName, string | null> = { agent: null, git: 'pull', lock: 'pull', system: 'switch', tests: 'test' };

for (const name of COMPARTMENTS) {
  test(`an outdated ${name} offers ${FIXES[name] ?? 'a hint'}; any other status offers nothing`, () => {
    const fix = fixFor(name, compartment('outdated', 'behind'));
    if (FIXES[name] === null) assert.equal(fix?.kind, 'hint');
    else assert.equal(fix?.kind === 'action' ? fix.action.command : fix, FIXES[name]);
    for (const status of ['ok', 'error', 'working', 'unknown'] as const) assert.equal(fixFor(name, compartment(status)), null, status);
  });
}

test('the switch a system fix offers asks first, like Switch in the menu', () => {
  const fix = fixFor('system', compartment('outdated'));
  assert.ok(fix?.kind === 'action' && fix.action.disrupts !== null);
});

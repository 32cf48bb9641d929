// The "Rollout…" dialog's rules without a browser: the plan in words (the protocol's describeStrategy,
// which the dashboard logs too), the target resolved as the dashboard does, a choice the dashboard
// would refuse named by its field, and a request that says all that was shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRollout } from '../../../src/dashboard/rollouts/plan.js';
import type { RolloutStrategy } from '../../../src/protocol/rollout.js';
import {
  createRolloutBody,
  describeStrategy,
  fieldsProblem,
  initialFields,
  planText,
  targetHosts,
  type RolloutFields,
} from '../../../src/web/state/rollout-plan.js';
import { compartments, host } from '../helpers/fixtures.js';

test('the sentences themselves', () => {
  const base: RolloutStrategy = { canary: [], batch_size: 5, max_failures: 0, rollback_on_failure: false, offline: 'skip' };
  assert.equal(describeStrategy(base), 'batches of 5, halt on the first failure, skip offline hosts');
  assert.equal(describeStrategy({ ...base, canary: ['a'], max_failures: 1 }), '1 canary, then batches of 5, halt after 2 failures, skip offline hosts');
  assert.equal(
    describeStrategy({ ...base, canary: ['a', 'b'], batch_size: 1, rollback_on_failure: true, offline: 'wait' }),
    '2 canaries, then batches of 1, halt on the first failure, roll back what fails, wait for offline hosts',
  );
});

const fleet = [
  host('web-2', { tags: ['web'] }),
  host('web-1', { agent_tags: ['web'], compartments: compartments({ git: 'outdated' }) }),
  host('db-1', { tags: ['db'], compartments: compartments({ git: 'outdated' }) }),
  host('mac-1'),
];
const candidates = fleet.map((h) => ({ id: h.id, tags: h.tags, agent_tags: h.agent_tags, behind: h.compartments.git.status === 'outdated' }));

test('the target names the hosts the dashboard will take, in its order: selection, tag (either kind), behind', () => {
  const cases: [RolloutFields['target'], string[]][] = [
    [{ kind: 'hosts', hostIds: ['web-2', 'db-1', 'gone'] }, ['db-1', 'web-2']],
    [{ kind: 'tag', tag: 'web' }, ['web-1', 'web-2']],
    [{ kind: 'behind' }, ['db-1', 'web-1']],
  ];
  for (const [target, expected] of cases) {
    assert.deepEqual(targetHosts(target, fleet), expected, JSON.stringify(target));
    if (target.kind === 'hosts') continue;
    const planned = planRollout({ ...createRolloutBody(initialFields(target)) }, candidates);
    assert.ok(planned.ok);
    assert.deepEqual(planned.plan.hostIds, expected, 'the dashboard agrees');
  }
});

test('the plan in words, with the host count first', () => {
  const fields: RolloutFields = { ...initialFields({ kind: 'behind' }), canary: 1 };
  const six = ['a', 'b', 'c', 'd', 'e', 'f'];
  assert.equal(planText(fields, six), '6 hosts: 1 canary, then batches of 5, halt on the first failure, skip offline hosts');
  assert.equal(planText({ ...fields, canary: 0, batchSize: 1, maxFailures: 1 }, ['a']), '1 host: batches of 1, halt after 2 failures, skip offline hosts');
});

test('a choice the dashboard would refuse is named by its field before any request', () => {
  const ok = initialFields({ kind: 'hosts', hostIds: ['a', 'b'] });
  const hosts = ['a', 'b'];
  assert.equal(fieldsProblem(ok, hosts), null);
  const cases: [Partial<RolloutFields>, readonly string[], string][] = [
    [{}, [], 'hosts'],
    [{ target: { kind: 'tag', tag: '' } }, [], 'hosts'],
    [{ preset: 'custom', steps: [] }, hosts, 'steps'],
    [{ canary: 2 }, hosts, 'canary'],
    [{ canary: -1 }, hosts, 'canary'],
    [{ batchSize: 0 }, hosts, 'batch_size'],
    [{ batchSize: Number.NaN }, hosts, 'batch_size'],
    [{ batchSize: 1.5 }, hosts, 'batch_size'],
    [{ maxFailures: -1 }, hosts, 'max_failures'],
  ];
  for (const [change, targeted, field] of cases) {
    assert.equal(fieldsProblem({ ...ok, ...change }, targeted)?.field, field, JSON.stringify(change));
  }
  assert.equal(fieldsProblem({ ...ok, target: { kind: 'tag', tag: 'web' } }, [])?.message, 'No host has the tag web.');
  assert.equal(fieldsProblem({ ...ok, canary: 1 }, hosts), null, 'one canary of two hosts leaves one after it');
});

test('the request carries the target, the preset or the custom steps, and every strategy field shown', () => {
  const fields: RolloutFields = { ...initialFields({ kind: 'hosts', hostIds: ['a', 'b', 'c'] }), batchSize: 1, maxFailures: 1 };
  assert.deepEqual(createRolloutBody(fields), {
    hosts: ['a', 'b', 'c'],
    preset: 'deploy',
    canary: 0,
    batch_size: 1,
    max_failures: 1,
    rollback_on_failure: false,
    offline: 'skip',
  });
  const custom = createRolloutBody({ ...initialFields({ kind: 'tag', tag: 'web' }), preset: 'custom', steps: ['pull', 'test'], rollbackOnFailure: true, offline: 'wait' });
  assert.deepEqual(custom, { tag: 'web', steps: ['pull', 'test'], canary: 0, batch_size: 5, max_failures: 0, rollback_on_failure: true, offline: 'wait' });
  assert.deepEqual(createRolloutBody(initialFields({ kind: 'behind' })).behind, true);
});

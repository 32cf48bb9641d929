// How far a rollout is, as its panel says it, and which buttons it offers: the counts agree with the
// dashboard's rules of when a host is done, and every count that is not 0 is said.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STEP_STATES, type RolloutStep } from '../../../src/protocol/rollout.js';
import { allowedChanges, hasRollbacks, isHostDone, progressOf, progressText } from '../../../src/web/state/rollout-progress.js';
import { rollout, rolloutHost } from '../helpers/fixtures.js';

const step = (state: RolloutStep['state']): RolloutStep => ({ command: 'rollback', state, command_id: 'rb', message: '' });

test('a host is done when its steps ended and so did its rollback, if it got one', () => {
  const ended = new Set(['succeeded', 'failed', 'skipped', 'rolled_back', 'cancelled']);
  for (const state of STEP_STATES) {
    for (const rollback of [null, ...STEP_STATES.map(step)]) {
      const h = rolloutHost('h', state, [], { rollback });
      const expected = ended.has(state) && (rollback === null || ended.has(rollback.state));
      assert.equal(isHostDone(h), expected, `${state} with rollback ${rollback?.state ?? 'none'}`);
    }
  }
});

test('progress counts: done, in flight, failed (rolled back among them), skipped, cancelled', () => {
  const r = rollout('r', {
    hosts: [
      rolloutHost('a', 'succeeded', ['succeeded', 'succeeded', 'succeeded']),
      rolloutHost('b', 'failed', ['succeeded', 'succeeded', 'failed']),
      rolloutHost('c', 'rolled_back', ['succeeded', 'failed', 'skipped'], { rollback: step('succeeded') }),
      // Failed, its rollback still running: in flight, not done.
      rolloutHost('d', 'failed', ['succeeded', 'failed', 'skipped'], { rollback: step('running') }),
      rolloutHost('e', 'running', ['succeeded', 'running']),
      rolloutHost('f', 'skipped', ['skipped', 'skipped', 'skipped']),
      rolloutHost('g', 'pending'),
    ],
  });
  assert.deepEqual(progressOf(r), { total: 7, done: 4, inFlight: 2, succeeded: 1, failed: 3, rolledBack: 1, skipped: 1, cancelled: 0 });
  assert.equal(progressText(progressOf(r)), '4/7 hosts done, 2 in flight, 3 failed (1 rolled back), 1 skipped');
  assert.equal(hasRollbacks(r), true);
});

test('progress in words leaves out what is 0', () => {
  const start = rollout('r', { hosts: [rolloutHost('a', 'pending'), rolloutHost('b', 'pending')] });
  assert.equal(progressText(progressOf(start)), '0/2 hosts done');
  assert.equal(hasRollbacks(start), false);
  const one = rollout('r', { hosts: [rolloutHost('a', 'failed', ['failed', 'skipped', 'skipped'])] });
  assert.equal(progressText(progressOf(one)), '1/1 host done, 1 failed');
  const cancelled = rollout('r', { hosts: [rolloutHost('a', 'succeeded', ['succeeded', 'succeeded', 'succeeded']), rolloutHost('b', 'cancelled', ['cancelled', 'cancelled', 'cancelled'])] });
  assert.equal(progressText(progressOf(cancelled)), '2/2 hosts done, 1 cancelled');
});

test('pause while running, resume while paused, cancel until it ended', () => {
  const cases: [string, string[]][] = [
    ['pending', ['cancel']],
    ['running', ['cancel', 'pause']],
    ['paused', ['cancel', 'resume']],
    ['succeeded', []],
    ['failed', []],
    ['halted', []],
    ['cancelled', []],
  ];
  for (const [status, allowed] of cases) {
    assert.deepEqual([...allowedChanges(rollout('r', { status: status as never }))].sort(), allowed, status);
  }
});

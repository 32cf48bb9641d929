// A followed rollout: whole records and delta updates merged by host_id into the latest state (older
// revisions ignored, updates before the first record kept for it), and its changes told as lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeChanges, RolloutView } from '../../src/cli/rollout-view.js';
import type { Rollout, RolloutHost } from '../../src/protocol/rollout.js';

type State = RolloutHost['state'];

function host(hostId: string, states: State[], state: State = states.includes('running') ? 'running' : 'pending'): RolloutHost {
  const commands = ['pull', 'switch', 'test'];
  return { host_id: hostId, canary: false, state, steps: states.map((s, i) => ({ command: commands[i] ?? 'pull', state: s, command_id: s === 'pending' ? null : `${hostId}-${i}`, message: s === 'failed' ? 'it broke' : '' })), rollback: null };
}

function rollout(revision: number, hosts: RolloutHost[], status: Rollout['status'] = 'running', message = ''): Rollout {
  return {
    id: 'r1',
    status,
    steps: ['pull', 'switch', 'test'],
    preset: 'deploy',
    target: '2 hosts',
    strategy: { canary: [], batch_size: 5, max_failures: 0, rollback_on_failure: false, offline: 'skip' },
    hosts,
    failures: 0,
    created_by: 'admin',
    created_at: '2026-01-01T00:00:00.000Z',
    started_at: '2026-01-01T00:00:00.000Z',
    finished_at: null,
    message,
    revision,
  };
}

const a0 = host('a', ['pending', 'pending', 'pending']);
const b0 = host('b', ['pending', 'pending', 'pending']);

test('a delta merges its hosts by host_id and keeps the others', () => {
  const view = new RolloutView('r1');
  view.whole(rollout(1, [a0, b0]));
  const a1 = host('a', ['running', 'pending', 'pending']);
  const merged = view.update(rollout(2, [a1]), true);
  assert.deepEqual(merged?.hosts, [a1, b0]);
  assert.equal(merged?.revision, 2);
});

test('records not newer than the state are ignored; a whole update replaces it', () => {
  const view = new RolloutView('r1');
  view.whole(rollout(5, [host('a', ['succeeded', 'running', 'pending']), b0]));
  assert.equal(view.update(rollout(4, [a0]), true), null, 'an older delta');
  assert.equal(view.whole(rollout(5, [a0, b0])), null, 'the same revision again');
  const whole = rollout(7, [a0]);
  assert.deepEqual(view.update(whole, false), whole);
  assert.equal(view.update({ ...whole, id: 'r2', revision: 9 }, false), null, 'another rollout');
});

test('deltas that come before the first whole record are applied on it, by revision', () => {
  const view = new RolloutView('r1');
  const a2 = host('a', ['succeeded', 'running', 'pending']);
  const b3 = host('b', ['running', 'pending', 'pending']);
  assert.equal(view.update(rollout(2, [host('a', ['running', 'pending', 'pending'])]), true), null, 'nothing to merge into yet');
  view.update(rollout(3, [a2]), true);
  view.update(rollout(4, [b3]), true);
  // The whole record (the API's answer) is of revision 3: the delta of 4 still applies, those up to 3 not.
  const state = view.whole(rollout(3, [a2, b0]));
  assert.deepEqual(state?.hosts, [a2, b3]);
  assert.equal(state?.revision, 4);
});

test('changes are told per step that started or ended, then per host that ended', () => {
  const before = rollout(1, [a0, b0]);
  const after = rollout(2, [host('a', ['succeeded', 'succeeded', 'failed'], 'failed'), host('b', ['running', 'pending', 'pending'])], 'running', 'halting: a failed');
  assert.deepEqual(describeChanges(before, after), [
    'rollout: halting: a failed',
    'a  pull succeeded',
    'a  switch succeeded',
    'a  test failed: it broke',
    'a  failed',
    'b  pull running (output: nixfleet output b-0)',
  ]);
  const skipped = rollout(3, [after.hosts[0] as RolloutHost, host('b', ['skipped', 'skipped', 'skipped'], 'skipped')], 'halted', 'a failed');
  assert.deepEqual(describeChanges(after, skipped), ['b  skipped'], 'skipped steps are said once, by their host; the end is the caller\'s to tell');
  const paused = rollout(2, [a0, b0], 'paused', 'paused');
  assert.deepEqual(describeChanges(before, paused), ['rollout paused'], 'a message that repeats the status is left out');
});

// The page's rollouts: a copy replaces the known one only when its revision is higher (a 201 or a list
// read over HTTP may arrive after a newer rollout_update); a delta replaces only the hosts it carries;
// `init` is the dashboard's truth; finished rollouts read earlier survive an `init` that no longer
// carries them; newest first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RolloutRecords } from '../../../src/web/state/rollout-records.js';
import { rollout, rolloutHost } from '../helpers/fixtures.js';

test('a copy with a higher revision replaces the known one; an older or equal one is ignored', () => {
  const records = new RolloutRecords();
  let changes = 0;
  records.subscribe(() => changes++);
  assert.equal(records.merge(rollout('r1', { revision: 2, message: 'second' })), true);
  assert.equal(records.merge(rollout('r1', { revision: 1, message: 'first, late' })), false, 'the 201 arrived after a newer update');
  assert.equal(records.merge(rollout('r1', { revision: 2, message: 'same again' })), false);
  assert.equal(records.get('r1')?.message, 'second');
  assert.equal(records.merge(rollout('r1', { revision: 3, status: 'succeeded', message: 'third' })), true);
  assert.equal(records.get('r1')?.status, 'succeeded');
  assert.equal(changes, 2, 'ignored copies tell nobody');
});

test('the list is newest first, ids breaking ties, and keeps its identity until something changes', () => {
  const records = new RolloutRecords();
  records.mergeAll([
    rollout('b', { created_at: '2026-11-26T10:00:00.000Z' }),
    rollout('c', { created_at: '2026-11-26T11:00:00.000Z' }),
    rollout('a', { created_at: '2026-11-26T10:00:00.000Z' }),
  ]);
  assert.deepEqual(records.list.map((r) => r.id), ['c', 'b', 'a']);
  const before = records.list;
  records.mergeAll([rollout('a', { created_at: '2026-11-26T10:00:00.000Z', revision: 1 })]);
  assert.equal(records.list, before, 'nothing newer: the same list');
});

test('init replaces what it carries even with a lower revision, keeps older finished ones, and drops unfinished ones it no longer has', () => {
  const records = new RolloutRecords();
  records.mergeAll([
    rollout('live', { revision: 9, created_at: '2026-11-26T12:00:00.000Z' }),
    rollout('old-done', { status: 'succeeded', revision: 5, created_at: '2026-11-20T10:00:00.000Z' }),
    rollout('gone', { status: 'running', revision: 3, created_at: '2026-11-21T10:00:00.000Z' }),
  ]);
  // The dashboard restarted without its last write: it says revision 8, and that is the truth now.
  records.reset([rollout('live', { revision: 8, message: 'after restart', created_at: '2026-11-26T12:00:00.000Z' })]);
  assert.equal(records.get('live')?.message, 'after restart');
  assert.equal(records.get('old-done')?.status, 'succeeded', 'a finished rollout read with "Show older" stays');
  assert.equal(records.get('gone'), undefined, 'it ended while the page was away; its running copy would lie');
  assert.deepEqual(records.list.map((r) => r.id), ['live', 'old-done']);
  assert.equal(records.merge(rollout('live', { revision: 9, message: 'next' })), true, 'the next change after init applies');
});

test('a delta newer than the copy replaces the hosts it carries, by host_id, and takes every other field', () => {
  const records = new RolloutRecords();
  const start = [rolloutHost('a', 'running', ['running']), rolloutHost('b', 'pending'), rolloutHost('c', 'pending')];
  records.update(rollout('r', { revision: 1, hosts: start }), false);
  assert.equal(records.update(rollout('r', { revision: 4, message: 'halting', failures: 1, hosts: [rolloutHost('a', 'failed', ['failed', 'skipped', 'skipped'])] }), true), true);
  const kept = records.get('r');
  assert.deepEqual(kept?.hosts.map((h) => `${h.host_id}:${h.state}`), ['a:failed', 'b:pending', 'c:pending'], 'in the rollout’s order');
  assert.equal(kept?.message, 'halting');
  assert.equal(kept?.failures, 1);
  assert.equal(kept?.revision, 4);
});

test('a delta that is not newer than the copy changes nothing: the copy (from init or a 201) has it already', () => {
  const records = new RolloutRecords();
  // The 201 of the start came before the socket's updates, with the state as of revision 3.
  records.merge(rollout('r', { revision: 3, hosts: [rolloutHost('a', 'succeeded', ['succeeded', 'succeeded', 'succeeded']), rolloutHost('b', 'running', ['running'])] }));
  assert.equal(records.update(rollout('r', { revision: 1, hosts: [rolloutHost('a', 'running', ['running']), rolloutHost('b', 'pending')] }), false), true);
  assert.equal(records.update(rollout('r', { revision: 2, hosts: [rolloutHost('a', 'running', ['succeeded', 'running'])] }), true), true);
  assert.deepEqual(records.get('r')?.hosts.map((h) => h.state), ['succeeded', 'running'], 'nothing went back');
  // The next delta carries what changed since the last one published (revision 2): b, and it applies on the 201's copy.
  records.update(rollout('r', { revision: 5, status: 'succeeded', hosts: [rolloutHost('b', 'succeeded', ['succeeded', 'succeeded', 'succeeded'])] }), true);
  assert.deepEqual(records.get('r')?.hosts.map((h) => h.state), ['succeeded', 'succeeded']);
  assert.equal(records.get('r')?.status, 'succeeded');
});

test('a delta for a rollout the page does not know cannot be applied, and says so', () => {
  const records = new RolloutRecords();
  assert.equal(records.update(rollout('r', { revision: 7, hosts: [rolloutHost('a', 'running')] }), true), false);
  assert.equal(records.get('r'), undefined);
});

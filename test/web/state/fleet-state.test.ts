// FleetState applies the dashboard's versioned changes in order, ignores what it already has, and
// reports a skipped version instead of patching over it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InitPayload } from '../../../src/protocol/browser.js';
import { FleetState } from '../../../src/web/state/fleet-state.js';
import { command, desired, host, rollout, rolloutHost } from '../helpers/fixtures.js';

const init = (fields: Omit<InitPayload, 'desired' | 'rollouts'> & Partial<Pick<InitPayload, 'desired' | 'rollouts'>>): InitPayload => ({
  desired: desired(),
  rollouts: [],
  ...fields,
});

test('changes apply only in version order: a repeat is stale, a skipped version is a gap', () => {
  const fleet = new FleetState();
  assert.equal(fleet.apply({ type: 'host_update', payload: { host: host('a') }, version: 1 }), 'stale', 'nothing applies before init');
  fleet.reset(init({ hosts: [host('a')], commands: [], version: 10 }));
  assert.equal(fleet.apply({ type: 'host_update', payload: { host: host('a', { generation: 'new' }) }, version: 11 }), 'applied');
  assert.equal(fleet.hosts.get('a')?.generation, 'new');
  assert.equal(fleet.apply({ type: 'host_update', payload: { host: host('a', { generation: 'old' }) }, version: 11 }), 'stale');
  assert.equal(fleet.hosts.get('a')?.generation, 'new');
  assert.equal(fleet.apply({ type: 'host_removed', payload: { host_id: 'a' }, version: 13 }), 'gap');
  assert.equal(fleet.hasState, false, 'after a gap nothing applies until the next init');
  assert.equal(fleet.apply({ type: 'host_removed', payload: { host_id: 'a' }, version: 14 }), 'stale');
  assert.ok(fleet.hosts.has('a'));
});

test('a new init keeps the objects of hosts that did not change, so their rows are not drawn again', () => {
  const fleet = new FleetState();
  fleet.reset(init({ hosts: [host('a'), host('b')], commands: [], version: 1 }));
  const a = fleet.hosts.get('a');
  const b = fleet.hosts.get('b');
  fleet.reset(init({ hosts: [host('a'), host('b', { connected: false })], commands: [], version: 5 }));
  assert.equal(fleet.hosts.get('a'), a);
  assert.notEqual(fleet.hosts.get('b'), b);
  assert.equal(fleet.currentVersion, 5);
});

test("each host's latest command is its newest one, whatever order updates arrive in", () => {
  const fleet = new FleetState();
  const older = command('c1', 'a', '2026-11-26T10:00:00.000Z', 'succeeded');
  const newer = command('c2', 'a', '2026-11-26T11:00:00.000Z');
  fleet.reset(init({ hosts: [host('a')], commands: [newer, older], version: 1 }));
  assert.equal(fleet.commandsOf('a').latest?.id, 'c2');
  fleet.apply({ type: 'command_update', payload: { command: { ...older, message: 'late' } }, version: 2 });
  assert.equal(fleet.commandsOf('a').latest?.id, 'c2');
  fleet.apply({ type: 'command_update', payload: { command: { ...newer, status: 'succeeded' } }, version: 3 });
  assert.equal(fleet.commandsOf('a').latest?.status, 'succeeded');
});

test('progress is forgotten once the host runs nothing', () => {
  const fleet = new FleetState();
  fleet.reset(init({ hosts: [host('a', { running_command: command('c1', 'a', '2026-11-26T10:00:00.000Z') })], commands: [], version: 1 }));
  fleet.setOperationProgress('a', { system: { current: 3, total: 10, status: 'running' } });
  assert.equal(fleet.progress.get('a')?.operation?.system?.current, 3);
  fleet.apply({ type: 'host_update', payload: { host: host('a') }, version: 2 });
  assert.equal(fleet.progress.has('a'), false);
});

test('desired_update is a versioned change: it applies in order, and one that skips a version is a gap', () => {
  const fleet = new FleetState();
  fleet.reset(init({ hosts: [], commands: [], desired: desired({ commit: 'a'.repeat(40) }), version: 3 }));
  assert.equal(fleet.desired?.commit, 'a'.repeat(40), 'init carries the desired state');
  assert.equal(fleet.apply({ type: 'desired_update', payload: { desired: desired({ commit: 'b'.repeat(40) }) }, version: 4 }), 'applied');
  assert.equal(fleet.desired?.commit, 'b'.repeat(40));
  assert.equal(fleet.apply({ type: 'desired_update', payload: { desired: desired({ commit: 'c'.repeat(40) }) }, version: 4 }), 'stale');
  assert.equal(fleet.desired?.commit, 'b'.repeat(40));
  assert.equal(fleet.apply({ type: 'desired_update', payload: { desired: desired({ error: 'fatal: could not read' }) }, version: 6 }), 'gap');
  assert.equal(fleet.desired?.error, null, 'nothing is patched over a gap');
  assert.equal(fleet.hasState, false);
});

test('a rollout_update counts as a version and keeps the rollout with the higher revision, without redrawing the fleet', () => {
  const fleet = new FleetState();
  const hosts = [rolloutHost('a', 'running', ['running']), rolloutHost('b', 'pending')];
  fleet.reset(init({ hosts: [host('a')], commands: [], rollouts: [rollout('r1', { revision: 1, hosts })], version: 1 }));
  assert.equal(fleet.rollouts.get('r1')?.revision, 1, 'init carries the rollouts');
  let fleetChanges = 0;
  let rolloutChanges = 0;
  fleet.subscribe(() => fleetChanges++);
  fleet.rollouts.subscribe(() => rolloutChanges++);
  const paused = rollout('r1', { revision: 3, status: 'paused', hosts: [rolloutHost('a', 'succeeded', ['succeeded', 'succeeded', 'succeeded'])] });
  assert.equal(fleet.apply({ type: 'rollout_update', payload: { rollout: paused, delta: true }, version: 2 }), 'applied');
  assert.equal(fleet.rollouts.get('r1')?.status, 'paused');
  assert.deepEqual(fleet.rollouts.get('r1')?.hosts.map((h) => `${h.host_id}:${h.state}`), ['a:succeeded', 'b:pending'], 'the delta’s host replaced, the other kept');
  assert.deepEqual([fleetChanges, rolloutChanges], [0, 1], 'only the rollouts’ readers are told');
  assert.equal(fleet.apply({ type: 'host_update', payload: { host: host('a', { generation: 'next' }) }, version: 3 }), 'applied', 'no gap after it');
  const older = rollout('r1', { revision: 2, status: 'running', hosts: [] });
  assert.equal(fleet.apply({ type: 'rollout_update', payload: { rollout: older, delta: true }, version: 4 }), 'applied');
  assert.equal(fleet.rollouts.get('r1')?.status, 'paused', 'an older copy of the rollout is ignored, its version still counts');
  assert.equal(fleet.apply({ type: 'rollout_update', payload: { rollout: rollout('r2'), delta: false }, version: 6 }), 'gap');
  assert.equal(fleet.rollouts.get('r2'), undefined, 'nothing is patched over a gap');
});

test('a delta for a rollout the page does not have means a change was missed: the state is read again', () => {
  const fleet = new FleetState();
  fleet.reset(init({ hosts: [], commands: [], version: 1 }));
  assert.equal(fleet.apply({ type: 'rollout_update', payload: { rollout: rollout('unknown', { revision: 4 }), delta: true }, version: 2 }), 'gap');
  assert.equal(fleet.hasState, false);
  assert.equal(fleet.rollouts.get('unknown'), undefined);
});

test('a stop never becomes the row’s command: the command it ended shows, as stopped', () => {
  const fleet = new FleetState();
  const pull = command('c1', 'a', '2026-11-26T10:00:00.000Z', 'running', 'pull');
  fleet.reset(init({ hosts: [host('a', { running_command: pull })], commands: [pull], version: 1 }));
  fleet.apply({ type: 'command_queued', payload: { command: command('s1', 'a', '2026-11-26T10:01:00.000Z', 'queued', 'stop') }, version: 2 });
  fleet.apply({ type: 'command_update', payload: { command: command('s1', 'a', '2026-11-26T10:01:00.000Z', 'succeeded', 'stop') }, version: 3 });
  assert.equal(fleet.commandsOf('a').latest?.id, 'c1');
  assert.deepEqual(fleet.commandsOf('a').queued, [], 'a stop is not listed as queued either');
  fleet.apply({ type: 'command_update', payload: { command: { ...pull, status: 'stopped' } }, version: 4 });
  assert.equal(fleet.commandsOf('a').latest?.status, 'stopped');
});

test('queued commands are listed apart, oldest first, and leave the list when they run or are cancelled', () => {
  const fleet = new FleetState();
  const ran = command('c0', 'a', '2026-11-26T09:00:00.000Z', 'succeeded', 'test');
  fleet.reset(init({ hosts: [host('a', { status: 'offline', connected: false })], commands: [ran], version: 1 }));
  fleet.apply({ type: 'command_queued', payload: { command: command('q2', 'a', '2026-11-26T10:02:00.000Z', 'queued', 'switch') }, version: 2 });
  fleet.apply({ type: 'command_queued', payload: { command: command('q1', 'a', '2026-11-26T10:01:00.000Z', 'queued', 'pull') }, version: 3 });
  assert.deepEqual(fleet.commandsOf('a').queued.map((c) => c.id), ['q1', 'q2']);
  assert.equal(fleet.commandsOf('a').latest?.id, 'c0', 'the queue does not hide the last run');
  fleet.apply({ type: 'command_update', payload: { command: command('q1', 'a', '2026-11-26T10:01:00.000Z', 'running', 'pull') }, version: 4 });
  fleet.apply({ type: 'command_update', payload: { command: command('q2', 'a', '2026-11-26T10:02:00.000Z', 'cancelled', 'switch') }, version: 5 });
  assert.deepEqual(fleet.commandsOf('a').queued, []);
  assert.equal(fleet.commandsOf('a').latest?.id, 'q2', 'the newest command that ended, even by cancelling');
});

test("a host's commands keep their object until one of that host's commands changes, so other rows are not drawn again", () => {
  const fleet = new FleetState();
  const a = command('c1', 'a', '2026-11-26T10:00:00.000Z', 'succeeded');
  const b = command('c2', 'b', '2026-11-26T10:00:00.000Z', 'running');
  fleet.reset(init({ hosts: [host('a'), host('b')], commands: [a, b], version: 1 }));
  const ofA = fleet.commandsOf('a');
  fleet.apply({ type: 'command_update', payload: { command: { ...b, status: 'succeeded' } }, version: 2 });
  assert.equal(fleet.commandsOf('a'), ofA);
  fleet.reset(init({ hosts: [host('a'), host('b')], commands: [a, { ...b, status: 'succeeded' }], version: 7 }));
  assert.equal(fleet.commandsOf('a'), ofA, 'a new init with the same commands keeps the object too');
  assert.equal(fleet.commandsOf('nobody').latest, undefined);
});

// The rules that move a rollout, on records alone: who starts, what follows, when it halts, how it ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advance, cancel, stepEnded, type HostAvailability, type StepDispatch } from '../../../src/dashboard/rollouts/rules.js';
import { planRollout, newRollout } from '../../../src/dashboard/rollouts/plan.js';
import { describeStrategy, type CreateRolloutBody, type Rollout } from '../../../src/protocol/rollout.js';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const online: HostAvailability = { exists: true, online: true };

function rolloutOf(body: Partial<CreateRolloutBody>, hosts = ['a', 'b', 'c', 'd', 'e']): Rollout {
  const candidates = hosts.map((id) => ({ id, tags: id === 'a' || id === 'b' ? ['web'] : [], agent_tags: [], behind: id !== 'e' }));
  const planned = planRollout({ hosts, ...(body.steps ? {} : { preset: 'deploy' }), ...body } as CreateRolloutBody, candidates);
  assert.ok(planned.ok, planned.ok ? '' : planned.message);
  return newRollout(planned.plan, 'r1', 'test', NOW);
}

/** Gives each dispatched step a command id (as the dispatcher would) and returns "host:command" per step. */
let nextId = 0;
function sent(dispatches: StepDispatch[]): string[] {
  return dispatches.map(({ host, step }) => {
    step.command_id = `cmd-${++nextId}`;
    return `${host.host_id}:${step.command}`;
  });
}

const idOf = (rollout: Rollout, hostId: string, command: string) =>
  rollout.hosts.find((h) => h.host_id === hostId)?.steps.find((s) => s.command === command)?.command_id ?? '';
const move = (rollout: Rollout, availability: (id: string) => HostAvailability = () => online) => sent(advance(rollout, availability, NOW));

/** Ends a step and moves on; returns what was sent next. */
function end(rollout: Rollout, hostId: string, command: string, status: 'succeeded' | 'failed' | 'stopped' = 'succeeded'): string[] {
  assert.ok(stepEnded(rollout, idOf(rollout, hostId, command), status, status === 'failed' ? `${command} broke` : ''), `${hostId}:${command} was running`);
  return move(rollout);
}

test('canaries run first and alone; the others start only after every canary succeeded', () => {
  const rollout = rolloutOf({ canary: 2, batch_size: 2, steps: ['pull'] });
  assert.deepEqual(move(rollout), ['a:pull', 'b:pull']);
  assert.equal(rollout.status, 'running');
  assert.deepEqual(end(rollout, 'a', 'pull'), [], 'no other host while a canary runs');
  assert.deepEqual(end(rollout, 'b', 'pull'), ['c:pull', 'd:pull']);
});

test('batches never exceed batch_size, and each finished host makes room for the next', () => {
  const rollout = rolloutOf({ batch_size: 2, steps: ['pull', 'switch'] });
  assert.deepEqual(move(rollout), ['a:pull', 'b:pull']);
  assert.deepEqual(end(rollout, 'a', 'pull'), ['a:switch'], 'the next step of a host in flight, no new host');
  assert.deepEqual(end(rollout, 'a', 'switch'), ['c:pull']);
  const inFlight = rollout.hosts.filter((h) => h.state === 'running').length;
  assert.equal(inFlight, 2);
});

test('a failing step fails its host and skips its later steps; a success ends the rollout succeeded', () => {
  const rollout = rolloutOf({ batch_size: 5, max_failures: 1 }, ['a', 'b']);
  move(rollout);
  end(rollout, 'a', 'pull');
  end(rollout, 'a', 'switch', 'failed');
  const a = rollout.hosts[0];
  assert.equal(a?.state, 'failed');
  assert.deepEqual(a?.steps.map((s) => s.state), ['succeeded', 'failed', 'skipped']);
  assert.equal(a?.steps[1]?.message, 'switch broke');
  end(rollout, 'b', 'pull');
  end(rollout, 'b', 'switch');
  end(rollout, 'b', 'test');
  assert.equal(rollout.status, 'failed', 'a tolerated failure still fails the rollout');
  assert.match(rollout.message, /1 host failed \(1 tolerated\)/);
});

test('one failure more than max_failures halts: no new host starts, those in flight finish', () => {
  const rollout = rolloutOf({ batch_size: 2, max_failures: 0, steps: ['pull'] });
  move(rollout);
  assert.deepEqual(end(rollout, 'a', 'pull', 'failed'), []);
  assert.equal(rollout.status, 'running');
  assert.match(rollout.message, /^halting: 1 host failed, 0 tolerated/);
  end(rollout, 'b', 'pull');
  assert.equal(rollout.status, 'halted');
  assert.deepEqual(rollout.hosts.map((h) => h.state), ['failed', 'succeeded', 'skipped', 'skipped', 'skipped']);
});

test('a failed canary halts the rollout before any other host starts', () => {
  const rollout = rolloutOf({ canary: 1, batch_size: 3, max_failures: 3, steps: ['switch'] });
  move(rollout);
  assert.deepEqual(end(rollout, 'a', 'switch', 'failed'), []);
  assert.equal(rollout.status, 'halted');
  assert.equal(rollout.message, 'canary a failed');
});

test('rollback_on_failure rolls back a host whose switch or test failed and records the outcome', () => {
  const rollout = rolloutOf({ batch_size: 1, max_failures: 5, rollback_on_failure: true }, ['a', 'b']);
  move(rollout);
  end(rollout, 'a', 'pull');
  end(rollout, 'a', 'switch');
  assert.deepEqual(end(rollout, 'a', 'test', 'failed'), ['a:rollback'], 'the rollback, before the next host');
  const a = rollout.hosts[0];
  assert.ok(a?.rollback?.command_id);
  assert.ok(stepEnded(rollout, a.rollback.command_id, 'succeeded', 'rolled back'));
  assert.equal(a.state, 'rolled_back');
  assert.deepEqual(move(rollout), ['b:pull']);
  // A failed pull changed nothing on the host: no rollback.
  assert.deepEqual(end(rollout, 'b', 'pull', 'failed'), []);
  assert.equal(rollout.hosts[1]?.rollback, null);
  assert.equal(rollout.status, 'failed');
});

test('a step that never reached its host is not rolled back: expired in the queue, or refused by its agent', () => {
  const rollout = rolloutOf({ batch_size: 3, max_failures: 5, rollback_on_failure: true, steps: ['switch'] }, ['a', 'b', 'c']);
  move(rollout);
  assert.ok(stepEnded(rollout, idOf(rollout, 'a', 'switch'), 'expired', 'not sent within 1440 min'));
  assert.ok(stepEnded(rollout, idOf(rollout, 'b', 'switch'), 'failed', 'the agent refused it, busy with pull', true));
  assert.ok(stepEnded(rollout, idOf(rollout, 'c', 'switch'), 'failed', 'switch broke'));
  assert.deepEqual(move(rollout), ['c:rollback'], 'only the switch that ran');
  assert.deepEqual(rollout.hosts.map((h) => [h.state, h.rollback?.state ?? null]), [['failed', null], ['failed', null], ['failed', 'running']]);
  assert.equal(rollout.failures, 3, 'each still counts as a failure');
});

test('a step withdrawn on its own takes its host out without a failure; a withdrawn canary halts', () => {
  const rollout = rolloutOf({ batch_size: 2, rollback_on_failure: true, steps: ['pull', 'switch'] }, ['a', 'b', 'c']);
  move(rollout);
  end(rollout, 'a', 'pull');
  assert.ok(stepEnded(rollout, idOf(rollout, 'a', 'switch'), 'cancelled', 'cancelled by admin'));
  assert.deepEqual(move(rollout), ['c:pull'], 'its place goes to the next host');
  assert.equal(rollout.hosts[0]?.state, 'skipped');
  assert.deepEqual(rollout.hosts[0]?.steps.map((s) => s.state), ['succeeded', 'cancelled']);
  assert.equal(rollout.hosts[0]?.rollback, null);
  assert.equal(rollout.failures, 0);
  end(rollout, 'b', 'pull');
  end(rollout, 'b', 'switch');
  end(rollout, 'c', 'pull');
  end(rollout, 'c', 'switch');
  assert.equal(rollout.status, 'succeeded');
  assert.equal(rollout.message, '2 hosts succeeded, 1 skipped');

  const withCanary = rolloutOf({ canary: 1, batch_size: 2, steps: ['pull'] }, ['a', 'b']);
  move(withCanary);
  assert.ok(stepEnded(withCanary, idOf(withCanary, 'a', 'pull'), 'cancelled', 'cancelled by admin'));
  assert.deepEqual(move(withCanary), [], 'b does not go on the word of a canary that never ran');
  assert.equal(withCanary.status, 'halted');
  assert.equal(withCanary.message, 'canary a was skipped: cancelled by admin');
});

test('pause lets hosts in flight finish their steps but starts none; resume goes on', () => {
  const rollout = rolloutOf({ batch_size: 1, steps: ['pull', 'switch'] }, ['a', 'b']);
  move(rollout);
  rollout.status = 'paused';
  assert.deepEqual(end(rollout, 'a', 'pull'), ['a:switch']);
  assert.deepEqual(end(rollout, 'a', 'switch'), []);
  assert.equal(rollout.status, 'paused');
  rollout.status = 'running';
  assert.deepEqual(move(rollout), ['b:pull']);
});

test('cancel starts nothing more; a step that runs finishes and the rest are cancelled', () => {
  const rollout = rolloutOf({ batch_size: 1, steps: ['pull', 'switch'] }, ['a', 'b']);
  move(rollout);
  cancel(rollout, NOW);
  assert.equal(rollout.status, 'cancelled');
  assert.deepEqual(end(rollout, 'a', 'pull'), []);
  assert.deepEqual(rollout.hosts.map((h) => h.state), ['cancelled', 'cancelled']);
  assert.deepEqual(rollout.hosts[0]?.steps.map((s) => s.state), ['succeeded', 'cancelled']);
});

test('offline hosts are skipped at their turn with offline=skip, and queued for with offline=wait', () => {
  const offlineB = (id: string) => ({ exists: true, online: id !== 'b' });
  const skipping = rolloutOf({ batch_size: 2, steps: ['pull'] }, ['a', 'b', 'c']);
  assert.deepEqual(move(skipping, offlineB), ['a:pull', 'c:pull']);
  assert.equal(skipping.hosts[1]?.state, 'skipped');
  const waiting = rolloutOf({ batch_size: 2, steps: ['pull'], offline: 'wait' }, ['a', 'b', 'c']);
  assert.deepEqual(move(waiting, offlineB), ['a:pull', 'b:pull']);
});

test('the plan refuses what cannot be, naming the field', () => {
  const candidates = ['a', 'b'].map((id) => ({ id, tags: ['web'], agent_tags: [], behind: false }));
  const refused = (body: Partial<CreateRolloutBody>) => {
    const result = planRollout({ ...(body.steps ? {} : { preset: 'deploy' }), ...body } as CreateRolloutBody, candidates);
    return result.ok ? 'ok' : result.field;
  };
  assert.equal(refused({ hosts: ['zz'] }), 'hosts');
  assert.equal(refused({}), 'hosts');
  assert.equal(refused({ tag: 'db' }), 'tag');
  assert.equal(refused({ behind: true }), 'behind');
  assert.equal(refused({ hosts: ['a'], preset: 'nope' }), 'preset');
  assert.equal(refused({ hosts: ['a'], steps: ['pull', 'stop'] }), 'steps');
  assert.equal(refused({ hosts: ['a'], steps: ['pull'], preset: 'deploy' }), 'steps');
  assert.equal(refused({ hosts: ['a'], canary: ['b'] }), 'canary');
  assert.equal(refused({ hosts: ['a', 'b'], canary: 2 }), 'canary');
  assert.equal(refused({ tag: 'web', canary: 1 }), 'ok');
  const strategy = { canary: ['a'], batch_size: 5, max_failures: 1, rollback_on_failure: false, offline: 'skip' as const };
  assert.equal(describeStrategy(strategy), '1 canary, then batches of 5, halt after 2 failures, skip offline hosts');
});

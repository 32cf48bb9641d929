// Rollouts with real agent processes: each host has its own fleet repository, whose
// hosts/<host>/tests/check.sh decides whether the host's `test` step passes; fake Nix tools stand in
// for nixos-rebuild. The rollout is started, paused, resumed and cancelled over HTTP, as a script would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectAgent, connectBrowser, type TestSocket } from '../../helpers/sockets.js';
import { TestFleet } from '../../agent/support/fleet.js';
import { killAllAgents } from '../../agent/support/agent-process.js';
import type { Rollout } from '../../../src/protocol/rollout.js';
import { RECENT_ROLLOUTS_KEPT } from '../../../src/dashboard/rollouts/rollout-book.js';

const ROLLOUT_MS = 60_000;
let fleet: TestFleet;
let browser: TestSocket;

before(async () => {
  fleet = await TestFleet.start();
  browser = await connectBrowser(fleet.t.wsUrl, fleet.session);
});
after(async () => {
  await browser.close();
  await killAllAgents();
  await fleet.close();
});

/** Starts an agent for each host, whose test script passes or fails (after `sleepS`). */
async function hosts(spec: Record<string, { pass: boolean; sleepS?: number }>): Promise<void> {
  await Promise.all(
    Object.entries(spec).map(async ([hostname, { pass, sleepS = 0 }]) => {
      const repo = fleet.repo(hostname);
      await fleet.startAgent(fleet.agentEnv(hostname, repo.hostClone));
      repo.commit(`tests of ${hostname}`, { [`hosts/${hostname}/tests/check.sh`]: `#!/bin/sh\nsleep ${sleepS}\necho checking ${hostname}\nexit ${pass ? 0 : 1}\n` });
    }),
  );
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${fleet.t.url}${path}`, {
    method,
    headers: { cookie: fleet.session.cookie, 'x-csrf-token': fleet.session.csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function startRollout(body: Record<string, unknown>): Promise<Rollout> {
  const answer = await api('POST', '/api/rollouts', body);
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.rollout as Rollout;
}

/**
 * Every state of the rollout browsers were sent, in order, whole: the first update carries every host,
 * the later ones (delta) only the hosts that changed, merged here as a browser merges them.
 */
function statesOf(id: string): Rollout[] {
  const states: Rollout[] = [];
  for (const message of browser.ofType('rollout_update')) {
    const update = message.payload.rollout as Rollout;
    if (update.id !== id) continue;
    const previous = states.at(-1);
    if (!message.payload.delta || !previous) {
      assert.equal(message.payload.delta, false, 'the first update of a rollout is whole');
      states.push(update);
      continue;
    }
    const changed = new Map(update.hosts.map((host) => [host.host_id, host]));
    states.push({ ...update, hosts: previous.hosts.map((host) => changed.get(host.host_id) ?? host) });
  }
  return states;
}

const ended = (id: string) =>
  browser.until(() => statesOf(id).find((r) => r.finished_at !== null && !['running', 'paused', 'pending'].includes(r.status)), ROLLOUT_MS, `rollout ${id} to end`);

const inFlight = (rollout: Rollout) => rollout.hosts.filter((h) => h.state === 'running' || h.rollback?.state === 'running').length;

test('canaries first and alone, batches within batch_size, a failing step skips the rest, max_failures halts', async () => {
  await hosts({ 'ca-01': { pass: true }, 'ca-02': { pass: true, sleepS: 0.3 }, 'ca-03': { pass: false }, 'ca-04': { pass: true, sleepS: 0.3 }, 'ca-05': { pass: true }, 'ca-06': { pass: true } });
  const rollout = await startRollout({ hosts: ['ca-01', 'ca-02', 'ca-03', 'ca-04', 'ca-05', 'ca-06'], steps: ['pull', 'test'], canary: ['ca-01'], batch_size: 2, max_failures: 0 });
  assert.equal(rollout.strategy.batch_size, 2);
  const final = await ended(rollout.id);
  assert.equal(final.status, 'halted', final.message);
  const states = statesOf(rollout.id);
  // The canary ran alone: until it succeeded no other host had started.
  const canaryDone = states.findIndex((r) => r.hosts[0]?.state === 'succeeded');
  assert.ok(canaryDone > 0);
  for (const state of states.slice(0, canaryDone)) assert.ok(state.hosts.slice(1).every((h) => h.state === 'pending'), 'a host started beside the canary');
  assert.ok(states.every((r) => inFlight(r) <= 2), `more than 2 hosts in flight: ${states.map(inFlight).join(',')}`);
  // Browsers were sent the hosts that changed, not the whole record each time.
  const deltas = browser.ofType('rollout_update').filter((m) => (m.payload.rollout as Rollout).id === rollout.id && m.payload.delta === true);
  assert.ok(deltas.length > 0);
  const sizes = deltas.map((m) => (m.payload.rollout as Rollout).hosts.length);
  assert.ok(sizes.every((n) => n < 6), `deltas carried ${sizes.join(', ')} of 6 hosts`);
  const byHost = new Map(final.hosts.map((h) => [h.host_id, h]));
  const failed = byHost.get('ca-03');
  assert.equal(failed?.state, 'failed');
  assert.deepEqual(failed?.steps.map((s) => s.state), ['succeeded', 'failed']);
  assert.match(failed?.steps[1]?.message ?? '', /1 of 1 tests failed: check\.sh/);
  // Its test step's output is one click away: the command id names the output.
  const output = await fleet.output(failed?.steps[1]?.command_id ?? '');
  assert.ok(output.some((l) => l.line === 'checking ca-03'));
  // Halted at the first failure: the hosts after it never started.
  assert.ok([...byHost.values()].some((h) => h.state === 'skipped'), 'no host was left out by the halt');
  assert.equal(final.failures, 1);
  const events = await fleet.events('ca-03');
  assert.ok(events.some((e) => e.includes(`rollout ${rollout.id}: ca-03 failed`)), events.join('\n'));
});

test('rollback_on_failure rolls back the host whose test failed after its switch, and the rollout records it', async () => {
  await hosts({ 'rb-01': { pass: false }, 'rb-02': { pass: true } });
  const rollout = await startRollout({ hosts: ['rb-01', 'rb-02'], preset: 'deploy', batch_size: 1, max_failures: 1, rollback_on_failure: true });
  const final = await ended(rollout.id);
  assert.equal(final.status, 'failed', final.message);
  const [first, second] = final.hosts;
  assert.equal(first?.host_id, 'rb-01');
  assert.equal(first?.state, 'rolled_back');
  assert.deepEqual(first?.steps.map((s) => s.state), ['succeeded', 'succeeded', 'failed']);
  assert.equal(first?.rollback?.state, 'succeeded');
  assert.ok(fleet.tools.calls().some((call) => call === 'nixos-rebuild switch --rollback'), fleet.tools.calls().join('\n'));
  assert.equal(second?.state, 'succeeded');
});

test('pause stops new hosts from starting, resume goes on, cancel ends it; each is in the event log', async () => {
  await hosts({ 'pa-01': { pass: true, sleepS: 1 }, 'pa-02': { pass: true }, 'pa-03': { pass: true, sleepS: 1 }, 'pa-04': { pass: true } });
  const rollout = await startRollout({ hosts: ['pa-01', 'pa-02', 'pa-03', 'pa-04'], steps: ['pull', 'test'], batch_size: 1 });
  const paused = await api('POST', `/api/rollouts/${rollout.id}/pause`);
  assert.equal(paused.status, 200);
  assert.equal((paused.body.rollout as Rollout).status, 'paused');
  assert.equal((await api('POST', `/api/rollouts/${rollout.id}/pause`)).status, 409, 'a paused rollout cannot be paused again');
  // The host in flight finishes; none other starts while paused.
  await browser.until(() => statesOf(rollout.id).find((r) => r.hosts[0]?.state === 'succeeded'), ROLLOUT_MS, 'the first host to finish');
  await browser.barrier();
  const whilePaused = statesOf(rollout.id).at(-1);
  assert.equal(whilePaused?.status, 'paused');
  assert.ok(whilePaused?.hosts.slice(1).every((h) => h.state === 'pending'));
  assert.equal((await api('POST', `/api/rollouts/${rollout.id}/resume`)).status, 200);
  await browser.until(() => statesOf(rollout.id).find((r) => r.hosts[1]?.state === 'succeeded' && r.hosts[2]?.state === 'running'), ROLLOUT_MS, 'the next hosts');
  const cancelled = await api('POST', `/api/rollouts/${rollout.id}/cancel`);
  assert.equal(cancelled.status, 200);
  const final = await ended(rollout.id);
  assert.equal(final.status, 'cancelled');
  assert.equal(final.hosts[3]?.state, 'cancelled');
  const got = await api('GET', `/api/rollouts/${rollout.id}`);
  assert.equal((got.body.rollout as Rollout).status, 'cancelled');
  const listed = await api('GET', '/api/rollouts');
  assert.equal((listed.body.rollouts as Rollout[])[0]?.id, rollout.id, 'the newest first');
  const response = await fetch(`${fleet.t.url}/api/events?limit=1000`, { headers: { cookie: fleet.session.cookie } });
  const messages = ((await response.json()) as { events: { message: string }[] }).events.map((e) => e.message);
  for (const verb of ['started', 'paused', 'resumed', 'cancelled']) {
    assert.ok(messages.some((m) => m.includes(`${verb} rollout ${rollout.id}`)), `no event for ${verb}`);
  }
});

test('a protocol v0 agent takes part like any other host; a host in a running rollout is refused by another', async () => {
  const v0 = await connectAgent(fleet.t.wsUrl, 'old-01', { agent_version: 'go-1.4' });
  try {
    const rollout = await startRollout({ hosts: ['old-01'], steps: ['pull'], batch_size: 1 });
    const second = await api('POST', '/api/rollouts', { hosts: ['old-01'], steps: ['pull'] });
    assert.equal(second.status, 409);
    assert.equal(second.body.error, 'host_in_rollout');
    assert.match(String(second.body.message), new RegExp(`old-01 is taken by rollout ${rollout.id}`));
    const command = await v0.next('command');
    assert.equal(command.payload.command, 'pull');
    // A v0 agent reports without a command id: by name, for its running command.
    v0.send('status', { status: 'ok', command: 'pull', exit_code: 0, message: 'pulled' });
    const final = await ended(rollout.id);
    assert.equal(final.status, 'succeeded');
    assert.equal(final.hosts[0]?.steps[0]?.message, 'pulled');
  } finally {
    await v0.close();
  }
});

test('a host removed mid-rollout leaves it: its queued step is withdrawn, its running one is lost, and nothing waits or is queued for it', async () => {
  // rm-run takes its switch; rm-wait is offline, so its switch waits in its queue (offline: wait).
  assert.equal((await api('POST', '/api/hosts', { hostname: 'rm-wait' })).status, 201);
  const running = await connectAgent(fleet.t.wsUrl, 'rm-run');
  try {
    const rollout = await startRollout({ hosts: ['rm-run', 'rm-wait'], steps: ['switch'], batch_size: 2, max_failures: 5, rollback_on_failure: true, offline: 'wait' });
    await running.next('command');
    const { commands } = fleet.t.dashboard.context.hub.parts;
    assert.equal(commands.queuedFor('rm-wait').length, 1);
    assert.equal((await fetch(`${fleet.t.url}/api/hosts/rm-wait`, { method: 'DELETE', headers: { cookie: fleet.session.cookie, 'x-csrf-token': fleet.session.csrf } })).status, 204);
    assert.equal((await fetch(`${fleet.t.url}/api/hosts/rm-run?force=true`, { method: 'DELETE', headers: { cookie: fleet.session.cookie, 'x-csrf-token': fleet.session.csrf } })).status, 204);
    const final = await ended(rollout.id);
    assert.equal(final.status, 'failed', final.message);
    const [removedRunning, removedWaiting] = final.hosts;
    assert.equal(removedRunning?.state, 'failed');
    assert.equal(removedRunning?.steps[0]?.message, 'the host was removed');
    assert.equal(removedRunning?.rollback?.state, 'failed', 'its rollback is refused: the host is gone');
    assert.equal(removedRunning?.rollback?.command_id, null);
    assert.equal(removedWaiting?.state, 'skipped');
    assert.equal(removedWaiting?.steps[0]?.state, 'cancelled');
    assert.equal(final.failures, 1, 'the withdrawn step is not a failure');
    assert.deepEqual([...commands.queuedFor('rm-run'), ...commands.queuedFor('rm-wait')], [], 'nothing left queued for the removed hosts');
  } finally {
    await running.close();
  }
});

test('a step of a cancelled rollout that goes back to its queue (its agent never had it) is withdrawn, not sent again', async () => {
  const first = await connectAgent(fleet.t.wsUrl, 'cx-01');
  const rollout = await startRollout({ hosts: ['cx-01'], steps: ['pull'], batch_size: 1 });
  const sent = await first.next('command');
  const commandId = String(sent.payload.command_id);
  // Cancelled while its command runs (as far as the dashboard knows): that command is left to finish.
  assert.equal((await api('POST', `/api/rollouts/${rollout.id}/cancel`)).status, 200);
  // The agent comes back without it (it never got it): the dashboard would send it again.
  first.ws.terminate();
  const second = await connectAgent(fleet.t.wsUrl, 'cx-01');
  try {
    const { commands } = fleet.t.dashboard.context.hub.parts;
    await browser.until(() => commands.get(commandId)?.status === 'cancelled', ROLLOUT_MS, 'the step to be withdrawn');
    await second.barrier();
    assert.equal(second.ofType('command').length, 0, 'the step of the cancelled rollout was not sent again');
    const final = await browser.until(() => statesOf(rollout.id).find((r) => r.hosts[0]?.steps[0]?.state === 'cancelled'), ROLLOUT_MS, 'the step cancelled in the record');
    assert.equal(final.hosts[0]?.state, 'cancelled');
  } finally {
    await second.close();
  }
});

test('a cancelled rollout keeps following the step it left to finish, however many rollouts end meanwhile', async () => {
  const slow = await connectAgent(fleet.t.wsUrl, 'fg-01');
  const quick = await connectAgent(fleet.t.wsUrl, 'fg-02');
  try {
    const held = await startRollout({ hosts: ['fg-01'], steps: ['pull'], batch_size: 1 });
    const step = await slow.next('command');
    assert.equal((await api('POST', `/api/rollouts/${held.id}/cancel`)).status, 200);
    // More rollouts end than the dashboard keeps in memory once ended.
    for (let i = 0; i <= RECENT_ROLLOUTS_KEPT; i++) {
      const other = await startRollout({ hosts: ['fg-02'], steps: ['pull'], batch_size: 1 });
      const command = await quick.next('command');
      quick.send('status', { status: 'ok', command: 'pull', command_id: command.payload.command_id, exit_code: 0, message: '' });
      assert.equal((await ended(other.id)).status, 'succeeded');
    }
    slow.send('status', { status: 'ok', command: 'pull', command_id: step.payload.command_id, exit_code: 0, message: 'pulled late' });
    await browser.until(() => statesOf(held.id).find((r) => r.hosts[0]?.steps[0]?.state === 'succeeded'), ROLLOUT_MS, 'the held step to end in the record');
    const stored = (await api('GET', `/api/rollouts/${held.id}`)).body.rollout as Rollout;
    assert.equal(stored.hosts[0]?.steps[0]?.state, 'succeeded');
    assert.equal(stored.hosts[0]?.steps[0]?.message, 'pulled late');
    assert.equal(stored.hosts[0]?.state, 'succeeded', 'its only step, done');
    assert.equal(stored.status, 'cancelled');
  } finally {
    await Promise.all([slow.close(), quick.close()]);
  }
});

test('bad rollout requests get 400 naming the field and start nothing', async () => {
  const before = (await api('GET', '/api/rollouts')).body.rollouts as Rollout[];
  for (const [body, field] of [
    [{ hosts: ['nope-01'], preset: 'deploy' }, 'hosts'],
    [{ preset: 'deploy' }, 'hosts'],
    [{ tag: 'no-such-tag', preset: 'deploy' }, 'tag'],
    [{ hosts: ['old-01'], preset: 'bogus' }, 'preset'],
    [{ hosts: ['old-01'], steps: ['pull', 'stop'] }, 'steps'],
    [{ hosts: ['old-01'], steps: [] }, 'steps'],
    [{ hosts: ['old-01'], preset: 'deploy', batch_size: 0 }, 'batch_size'],
    [{ hosts: ['old-01'], preset: 'deploy', surprise: true }, 'surprise'],
  ] as const) {
    const answer = await api('POST', '/api/rollouts', body);
    assert.equal(answer.status, 400, JSON.stringify(body));
    assert.match(String(answer.body.message), new RegExp(field), JSON.stringify(answer.body));
  }
  const unsigned = await fetch(`${fleet.t.url}/api/rollouts`, { method: 'POST', headers: { cookie: fleet.session.cookie, 'content-type': 'application/json' }, body: '{"hosts":["old-01"],"preset":"deploy"}' });
  assert.equal(unsigned.status, 403, 'no CSRF token');
  const after = (await api('GET', '/api/rollouts')).body.rollouts as Rollout[];
  assert.equal(after.length, before.length);
});

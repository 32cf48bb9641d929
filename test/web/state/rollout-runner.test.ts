// The rollout store's requests without a browser: a start that succeeds closes the dialog and shows
// the new rollout; a refusal stays in the dialog (or becomes a notice once it was closed); pause,
// resume and cancel merge the answer by revision; cancel waits for a confirmation; older rollouts are
// read until the dashboard has no more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rollout } from '../../../src/protocol/rollout.js';
import type { Refusal, RolloutOutcome } from '../../../src/web/net/api.js';
import { RolloutRecords } from '../../../src/web/state/rollout-records.js';
import { OLDER_ROLLOUTS_PAGE, RolloutRunner, shownRollout, type RolloutApi } from '../../../src/web/state/rollout-runner.js';
import { rollout } from '../helpers/fixtures.js';

function setup(answers: { start?: RolloutOutcome; change?: RolloutOutcome; list?: Rollout[] } = {}) {
  const calls: string[] = [];
  const api: RolloutApi = {
    startRollout: async (body) => {
      calls.push(`start ${JSON.stringify(body)}`);
      return answers.start ?? refusal(500, 'none', 'no answer');
    },
    changeRollout: async (id, change) => {
      calls.push(`${change} ${id}`);
      return answers.change ?? refusal(500, 'none', 'no answer');
    },
    recentRollouts: async (limit, before) => {
      calls.push(`list ${limit} before ${before}`);
      const all = answers.list ?? [];
      const from = before === undefined ? 0 : all.findIndex((r) => r.id === before) + 1;
      return all.slice(from, from + limit);
    },
  };
  const notices: string[] = [];
  const records = new RolloutRecords();
  const runner = new RolloutRunner(api, records, { add: (level, text) => notices.push(`${level}: ${text}`) });
  return { runner, records, calls, notices };
}

const refusal = (status: number, error: string, message: string): Refusal => ({ ok: false, status, error, message });

test('a started rollout closes the dialog, is kept, and is the one the panel shows', async () => {
  const { runner, records, calls } = setup({ start: { ok: true, rollout: rollout('new', { revision: 1 }) } });
  records.merge(rollout('new', { revision: 4, status: 'succeeded' }));
  runner.open({ kind: 'hosts', hostIds: ['a'] }, ['a']);
  await runner.start({ hosts: ['a'], preset: 'refresh' });
  assert.deepEqual(calls, ['start {"hosts":["a"],"preset":"refresh"}']);
  assert.equal(runner.dialog.value, null);
  assert.equal(runner.chosen.value, 'new');
  assert.equal(records.get('new')?.status, 'succeeded', 'the 201 came after a newer rollout_update, which stays');
});

test('a refusal is shown in the dialog; after the dialog was closed it becomes a notice', async () => {
  const taken = refusal(409, 'host_in_rollout', 'a is taken by rollout r1; wait for it or cancel it');
  const { runner, notices } = setup({ start: taken });
  runner.open({ kind: 'behind' });
  await runner.start({ behind: true, preset: 'deploy' });
  assert.deepEqual(runner.dialog.value, {
    target: { kind: 'behind' },
    selection: [],
    sending: false,
    refusal: { error: 'host_in_rollout', message: 'a is taken by rollout r1; wait for it or cancel it' },
  });
  const again = runner.start({ behind: true, preset: 'deploy' });
  runner.dismiss();
  await again;
  assert.equal(runner.dialog.value, null);
  assert.deepEqual(notices, ['error: Starting the rollout failed: a is taken by rollout r1; wait for it or cancel it']);
});

test('pause, resume and cancel merge the answer; a refusal is a notice; cancel asks first', async () => {
  const { runner, records, calls, notices } = setup({ change: { ok: true, rollout: rollout('r', { revision: 5, status: 'paused' }) } });
  records.merge(rollout('r', { revision: 4 }));
  await runner.change('r', 'pause');
  assert.equal(records.get('r')?.status, 'paused');
  assert.equal(runner.busy.value.size, 0);

  runner.askCancel('r');
  assert.deepEqual(calls, ['pause r'], 'nothing is sent before the confirmation');
  runner.keepRunning();
  assert.equal(runner.cancelling.value, null);
  runner.askCancel('r');
  await runner.confirmCancel();
  assert.deepEqual(calls, ['pause r', 'cancel r']);
  assert.equal(runner.cancelling.value, null);

  const refused = setup({ change: refusal(409, 'rollout_state', 'rollout r has ended') });
  await refused.runner.change('r', 'resume');
  assert.deepEqual(refused.notices, ['error: Resuming the rollout failed: rollout r has ended']);
  assert.deepEqual(notices, []);
});

test('two rollouts changed at once are each busy until their own answer', async () => {
  const answers = new Map<string, (outcome: RolloutOutcome) => void>();
  const api: RolloutApi = {
    startRollout: async () => refusal(500, 'none', 'no answer'),
    changeRollout: (id) => new Promise((resolve) => answers.set(id, resolve)),
    recentRollouts: async () => [],
  };
  const records = new RolloutRecords();
  const runner = new RolloutRunner(api, records, { add: () => undefined });
  const pausingA = runner.change('a', 'pause');
  const pausingB = runner.change('b', 'pause');
  assert.deepEqual([...runner.busy.value].sort(), ['a', 'b']);
  answers.get('a')?.({ ok: true, rollout: rollout('a', { revision: 2, status: 'paused' }) });
  await pausingA;
  assert.deepEqual([...runner.busy.value], ['b'], "b's buttons still wait for b's answer");
  answers.get('b')?.({ ok: true, rollout: rollout('b', { revision: 2, status: 'paused' }) });
  await pausingB;
  assert.equal(runner.busy.value.size, 0);
});

test('older rollouts are read a page at a time from the oldest the page knows, until the dashboard has no more', async () => {
  const day = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 86_400_000).toISOString();
  const all = Array.from({ length: 80 }, (_, i) => rollout(`r${String(i).padStart(2, '0')}`, { status: 'succeeded', created_at: day(i) })).reverse();
  const { runner, records, calls } = setup({ list: all });
  records.reset(all.slice(0, 20));
  await runner.loadOlder();
  assert.deepEqual(calls, [`list ${OLDER_ROLLOUTS_PAGE} before r60`]);
  assert.equal(records.size, 70);
  assert.equal(runner.older.value, 'idle', 'a full page: there may be more');
  await runner.loadOlder();
  assert.deepEqual(calls.at(-1), `list ${OLDER_ROLLOUTS_PAGE} before r10`);
  assert.equal(records.size, 80);
  assert.equal(runner.older.value, 'complete', 'fewer than asked: that is every rollout');
  assert.equal(records.list[79]?.id, 'r00', 'the oldest last');
});

test('the panel shows the chosen rollout, else the newest unfinished, else the newest', () => {
  const list = [rollout('c', { status: 'succeeded' }), rollout('b', { status: 'paused' }), rollout('a', { status: 'failed' })];
  assert.equal(shownRollout(list, 'a')?.id, 'a');
  assert.equal(shownRollout(list, null)?.id, 'b');
  assert.equal(shownRollout(list, 'forgotten')?.id, 'b');
  assert.equal(shownRollout([list[0] as Rollout, list[2] as Rollout], null)?.id, 'c');
  assert.equal(shownRollout([], null), undefined);
});

// The dispatch path: a disruptive command is confirmed first; a host that refuses for now (offline,
// busy) is offered the queue, and accepting sends the same command again with `queue: true`; other
// refusals, and a stop (never queued), become notices. A queued command can be cancelled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DispatchOutcome, CancelOutcome, Refusal } from '../../../src/web/net/api.js';
import { CommandRunner, type PendingAction, type RunnerApi } from '../../../src/web/state/command-runner.js';
import { hostAction } from '../../../src/web/state/host-actions.js';
import { command } from '../helpers/fixtures.js';

const refusal = (error: string, message: string): Refusal => ({ ok: false, status: 409, error, message });

function setUp(answer: (hostId: string, command: string, queue: boolean) => DispatchOutcome, cancelAnswer: CancelOutcome = { ok: true }) {
  const sent: { hostId: string; command: string; queue: boolean }[] = [];
  const cancelled: string[] = [];
  const notices: string[] = [];
  const opened: string[] = [];
  const api: RunnerApi = {
    dispatch: async (hostId, name, queue = false) => {
      sent.push({ hostId, command: name, queue });
      return answer(hostId, name, queue);
    },
    cancelCommand: async (id) => {
      cancelled.push(id);
      return cancelAnswer;
    },
  };
  const runner = new CommandRunner(api, { open: (id) => void opened.push(id) }, { add: (level, text) => void notices.push(`${level}: ${text}`) });
  const settled = () => new Promise((resolve) => setTimeout(resolve, 0));
  /** Read through a call, so the compiler does not keep what it inferred before the runner acted. */
  const pending = (): PendingAction | null => runner.pending.value;
  /** The admin's yes to the question pending now. */
  const yes = () => {
    const shown = pending();
    assert.ok(shown, 'a question is pending');
    runner.confirm(shown);
  };
  return { runner, sent, cancelled, notices, opened, settled, pending, yes };
}

test('an offline host is offered the queue; accepting sends the command again with queue: true', async () => {
  const { runner, sent, notices, settled, pending, yes } = setUp((hostId, _name, queue) =>
    queue ? { ok: true, commandId: `q-${hostId}` } : refusal('host_offline', `${hostId} cannot take commands: offline`),
  );
  runner.request(hostAction('pull'), ['web-01']);
  await settled();
  const offer = pending();
  assert.equal(offer?.kind, 'queue');
  assert.deepEqual(offer?.kind === 'queue' && offer.reasons, ['web-01 cannot take commands: offline']);
  assert.deepEqual(notices, [], 'no error while the admin is asked');
  yes();
  await settled();
  assert.deepEqual(sent, [
    { hostId: 'web-01', command: 'pull', queue: false },
    { hostId: 'web-01', command: 'pull', queue: true },
  ]);
  assert.deepEqual(notices, ['info: Pull queued for web-01: it runs when the host can take it.']);
  assert.equal(pending(), null);
});

test('a disruptive command is confirmed first, then offered the queue for the hosts that cannot take it; the others run', async () => {
  const { runner, sent, opened, settled, pending, yes } = setUp((hostId, _name, queue) =>
    hostId === 'busy' && !queue ? refusal('host_busy', 'busy is busy with switch') : { ok: true, commandId: `c-${hostId}` },
  );
  runner.request(hostAction('reboot'), ['idle', 'busy']);
  assert.equal(pending()?.kind, 'confirm');
  assert.equal(sent.length, 0, 'nothing goes before the confirmation');
  yes();
  await settled();
  assert.deepEqual(opened, ['c-idle']);
  const offer = pending();
  assert.ok(offer?.kind === 'queue');
  assert.deepEqual(offer.hostIds, ['busy']);
  runner.cancel();
  await settled();
  assert.equal(sent.length, 2, 'declining the queue sends nothing more');
});

test('a yes to a question no longer pending answers nothing: the question that came since waits for its own', async () => {
  const { runner, sent, settled, pending } = setUp((hostId, _name, queue) => (queue ? { ok: true, commandId: 'q' } : refusal('host_busy', `${hostId} is busy with switch`)));
  runner.request(hostAction('reboot'), ['busy']);
  const asked = pending();
  assert.ok(asked?.kind === 'confirm');
  runner.confirm(asked);
  await settled();
  const offer = pending();
  assert.ok(offer?.kind === 'queue', 'the host refused: the queue is offered');
  // A second click on the first question's button, before the page drew the second question.
  runner.confirm(asked);
  await settled();
  assert.deepEqual(sent, [{ hostId: 'busy', command: 'reboot', queue: false }], 'nothing was queued unseen');
  assert.equal(pending(), offer);
  runner.confirm(offer);
  await settled();
  assert.deepEqual(sent.at(-1), { hostId: 'busy', command: 'reboot', queue: true });
});

test('a stop is never offered the queue, and other refusals say why', async () => {
  const { runner, notices, settled, pending, yes } = setUp((hostId) => refusal(hostId === 'gone' ? 'unknown_host' : 'host_offline', `no ${hostId}`));
  runner.request(hostAction('stop'), ['off']);
  yes();
  await settled();
  runner.request(hostAction('pull'), ['gone']);
  await settled();
  assert.equal(pending(), null);
  assert.deepEqual(notices, ['error: Stop refused for off: no off', 'error: Pull refused for gone: no gone']);
});

test('cancelling a queued command asks the dashboard and says how it went', async () => {
  const queued = command('q1', 'web-01', '2026-11-26T10:00:00.000Z', 'queued', 'pull');
  const ok = setUp(() => ({ ok: true, commandId: 'x' }));
  await ok.runner.cancelQueued(queued);
  assert.deepEqual(ok.cancelled, ['q1']);
  assert.deepEqual(ok.notices, ['info: pull for web-01 was cancelled.']);
  const late = setUp(() => ({ ok: true, commandId: 'x' }), refusal('not_queued', 'pull q1 is running; send stop to end it'));
  await late.runner.cancelQueued(queued);
  assert.deepEqual(late.notices, ['error: Cancelling pull for web-01 failed: pull q1 is running; send stop to end it']);
});

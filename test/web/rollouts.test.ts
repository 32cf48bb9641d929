// Rollouts from the page, against a real dashboard and real agent sockets: started from the selection
// in the "Rollout…" dialog, which says the plan in words, the grid follows it live to its end, a
// failed step opens its output; pause holds new hosts back and resume lets them go; cancel asks first;
// a refusal shows in the dialog; finished rollouts stay browsable after a reload and older ones are
// read on request.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { login } from '../helpers/dashboard.js';
import { until, waitLive } from './helpers/browser.js';
import { expectText } from './helpers/text.js';
import { answerCommands, finish, nextCommand, sendLines, type ReceivedCommand } from './helpers/agent-script.js';
import { watchedDashboard } from './helpers/watched-dashboard.js';

const stopAnswering: (() => void)[] = [];
const fleet = watchedDashboard();
after(() => {
  for (const stop of stopAnswering) stop();
});

/** A promise the test resolves when it has seen what it waited for. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const rolloutOf = (id: string) => fleet.t.dashboard.context.hub.parts.rollouts.get(id);
const shownRollout = (page: Page) => page.locator('article.rollout');
const cell = (page: Page, hostId: string, step: string) => page.locator(`.rollout-grid tr[data-host="${hostId}"] [data-step="${step}"]`);
const stepStates = (page: Page, hostId: string) => page.locator(`.rollout-grid tr[data-host="${hostId}"] .step`).evaluateAll((cells) => cells.map((c) => c.getAttribute('data-state')));

async function shownId(page: Page): Promise<string> {
  const id = await shownRollout(page).getAttribute('data-rollout');
  assert.ok(id, 'a rollout is shown');
  return id;
}

/** The failing host's test output, as the agent prints it. */
const FAILED_TEST_LINES = [
  { seq: 0, stream: 'stdout', line: 'running 2 checks on roll-b' },
  { seq: 1, stream: 'stdout', line: 'check http: connecting to 127.0.0.1:80' },
  { seq: 2, stream: 'stderr', line: 'FAIL http: connection refused' },
] as const;

test('a rollout started from the selection follows its plan live to the end, and a failed step opens its output', async () => {
  const { page } = fleet.watched;
  const sockets = await Promise.all(['roll-a', 'roll-b', 'roll-c'].map((name) => fleet.agent(name)));
  const received = new Map<string, ReceivedCommand[]>();
  const canaryPull = gate();
  sockets.forEach((socket, i) => {
    const hostId = ['roll-a', 'roll-b', 'roll-c'][i] as string;
    stopAnswering.push(
      answerCommands(socket, async (command) => {
        received.set(hostId, [...(received.get(hostId) ?? []), command]);
        // The canary's first step is held until the page has shown it running.
        if (hostId === 'roll-a' && command.command === 'pull') await canaryPull.opened;
        if (hostId === 'roll-b' && command.command === 'test') {
          sendLines(socket, command.command_id, FAILED_TEST_LINES.map((line) => ({ ...line })));
          finish(socket, command, 'error', 1);
          return;
        }
        sendLines(socket, command.command_id, [{ seq: 0, stream: 'stdout', line: `${command.command} on ${hostId}: done` }]);
        finish(socket, command);
      }),
    );
  });

  for (const name of ['roll-a', 'roll-b', 'roll-c']) await page.getByRole('checkbox', { name: `Select ${name}` }).check();
  await page.getByRole('group', { name: 'Actions for the selected hosts' }).getByRole('button', { name: 'Rollout…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Start a rollout' });
  assert.equal(await dialog.getByRole('radio', { name: 'The 3 selected hosts' }).isChecked(), true);
  assert.equal(await dialog.locator('.target-hosts').textContent(), 'roll-a, roll-b, roll-c');
  await dialog.getByLabel('Steps').selectOption('deploy');
  await dialog.getByLabel('Canaries').fill('1');
  await dialog.getByLabel('Batch size').fill('1');
  await dialog.getByLabel('Max failures').fill('1');
  // What will happen, in words, before it starts.
  await expectText(dialog.locator('.plan-strategy'), '3 hosts: 1 canary, then batches of 1, halt after 2 failures, skip offline hosts');
  await expectText(dialog.locator('.plan-steps'), 'Each host runs pull, then switch, then test; a host that fails a step is skipped for the rest.');
  await dialog.getByRole('button', { name: 'Start on 3 hosts' }).click();
  await dialog.waitFor({ state: 'hidden' });

  // Live: the canary alone, its pull running, nothing else started.
  const article = shownRollout(page);
  await cell(page, 'roll-a', 'pull').and(page.locator('[data-state="running"]')).waitFor();
  const id = await shownId(page);
  assert.equal(await article.locator('.rollout-status').textContent(), 'running');
  assert.equal(await article.locator('.progress-text').textContent(), '0/3 hosts done, 1 in flight');
  assert.equal(await page.locator('.rollout-grid tr[data-host="roll-a"] .canary-mark').textContent(), 'canary');
  assert.equal(await page.locator('.rollout-grid tr.canary').count(), 1, 'only the canary is marked');
  assert.deepEqual(await stepStates(page, 'roll-b'), ['pending', 'pending', 'pending']);
  assert.equal(await article.locator('.rollout-plan').textContent(), 'pull → switch → test · 1 canary, then batches of 1, halt after 2 failures, skip offline hosts');
  assert.deepEqual(rolloutOf(id)?.strategy, { canary: ['roll-a'], batch_size: 1, max_failures: 1, rollback_on_failure: false, offline: 'skip' }, 'the dashboard got what the dialog said');
  canaryPull.open();

  // To the end: roll-b failed its test, within the tolerance, so roll-c still ran.
  await page.locator(`article.rollout[data-rollout="${id}"][data-status="failed"]`).waitFor();
  assert.equal(await article.locator('.rollout-status').textContent(), 'failed');
  assert.equal(await article.locator('.progress-text').textContent(), '3/3 hosts done, 1 failed');
  assert.equal(await article.locator('.rollout-message').textContent(), '1 host failed (1 tolerated)');
  assert.deepEqual(await stepStates(page, 'roll-a'), ['succeeded', 'succeeded', 'succeeded']);
  assert.deepEqual(await stepStates(page, 'roll-b'), ['succeeded', 'succeeded', 'failed']);
  assert.deepEqual(await stepStates(page, 'roll-c'), ['succeeded', 'succeeded', 'succeeded']);
  assert.equal(await page.locator('.rollout-grid tr[data-host="roll-b"]').getAttribute('data-state'), 'failed');
  assert.equal(await article.getByRole('button', { name: /^(Pause|Resume|Cancel…)$/ }).count(), 0, 'an ended rollout has nothing to change');
  for (const hostId of ['roll-a', 'roll-b', 'roll-c']) {
    assert.deepEqual(received.get(hostId)?.map((c) => c.command), ['pull', 'switch', 'test'], `${hostId} ran the deploy steps in order`);
  }

  // The failed cell opens that command's output in a tab, with the lines its agent printed.
  const failedTest = received.get('roll-b')?.[2];
  const failedCell = page.getByRole('button', { name: /^test on roll-b: failed/ });
  assert.equal(await failedCell.getAttribute('data-command'), failedTest?.command_id);
  await failedCell.click();
  const tab = page.getByRole('tab', { name: 'roll-b · test' });
  await tab.and(page.locator('[aria-selected="true"]')).waitFor();
  await page.locator(`.line-count[data-count="${FAILED_TEST_LINES.length}"]`).waitFor();
  assert.deepEqual(await page.locator('.log .log-line').allTextContents(), FAILED_TEST_LINES.map((l) => l.line));
  assert.deepEqual(await page.locator('.log .log-line.stderr').allTextContents(), ['FAIL http: connection refused']);
  assert.equal(await page.locator('.output-tab .output-head .badge').textContent(), 'failed');

  // After a reload the rollout comes with init, still browsable.
  await page.reload();
  await waitLive(page);
  await page.locator(`.rollout-item[data-rollout="${id}"][aria-pressed="true"]`).waitFor();
  assert.deepEqual(await stepStates(page, 'roll-b'), ['succeeded', 'succeeded', 'failed']);
  assert.deepEqual(fleet.watched.errors, []);
});

/** Starts a refresh rollout on the hosts tagged `tag`, from the toolbar with the tag filter set. */
async function startTagRollout(page: Page, tag: string, hostCount: number): Promise<Locator> {
  await page.getByLabel('Filter hosts by tag').selectOption(tag);
  await page.locator('.toolbar > button', { hasText: 'Rollout…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Start a rollout' });
  assert.equal(await dialog.getByRole('radio', { name: 'Hosts tagged' }).isChecked(), true, 'the tag shown in the table is the target');
  assert.equal(await dialog.getByLabel('Tag', { exact: true }).inputValue(), tag);
  await dialog.getByLabel('Steps').selectOption('refresh');
  await dialog.getByLabel('Batch size').fill('1');
  await expectText(dialog.locator('.plan-strategy'), `${hostCount} hosts: batches of 1, halt on the first failure, skip offline hosts`);
  return dialog;
}

test('pause holds new hosts back and resume lets them go; cancel asks first; a host taken by a rollout is refused in the dialog', async () => {
  const { page } = fleet.watched;
  const holdA = await fleet.agent('hold-a', { tags: ['hold'] });
  const holdB = await fleet.agent('hold-b', { tags: ['hold'] });

  let dialog = await startTagRollout(page, 'hold', 2);
  await dialog.getByRole('button', { name: 'Start on 2 hosts' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const first = await nextCommand(holdA);
  assert.equal(first.command, 'refresh-all');
  const article = shownRollout(page);
  await cell(page, 'hold-a', 'refresh-all').and(page.locator('[data-state="running"]')).waitFor();
  const pausedId = await shownId(page);

  await article.getByRole('button', { name: 'Pause' }).click();
  await page.locator(`article.rollout[data-rollout="${pausedId}"][data-status="paused"]`).waitFor();
  // The host in flight finishes; no new host starts while paused.
  finish(holdA, first);
  await cell(page, 'hold-a', 'refresh-all').and(page.locator('[data-state="succeeded"]')).waitFor();
  assert.equal(await article.locator('.rollout-status').textContent(), 'paused');
  assert.equal(await article.locator('.rollout-message').textContent(), 'paused');
  assert.deepEqual(await stepStates(page, 'hold-b'), ['pending']);
  await holdB.barrier();
  assert.equal(holdB.ofType('command').length, 0, 'hold-b got nothing while paused');

  await article.getByRole('button', { name: 'Resume' }).click();
  const second = await nextCommand(holdB);
  assert.equal(second.command, 'refresh-all');
  await cell(page, 'hold-b', 'refresh-all').and(page.locator('[data-state="running"]')).waitFor();
  finish(holdB, second);
  await page.locator(`article.rollout[data-rollout="${pausedId}"][data-status="succeeded"]`).waitFor();
  assert.equal(await article.locator('.progress-text').textContent(), '2/2 hosts done');

  // Another one, then the same hosts again while it runs: the dashboard's 409 shows in the dialog.
  dialog = await startTagRollout(page, 'hold', 2);
  await dialog.getByRole('button', { name: 'Start on 2 hosts' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const held = await nextCommand(holdA);
  await cell(page, 'hold-a', 'refresh-all').and(page.locator('[data-state="running"]')).waitFor();
  const cancelledId = await shownId(page);
  assert.notEqual(cancelledId, pausedId, 'the new rollout is the one shown');
  dialog = await startTagRollout(page, 'hold', 2);
  await dialog.getByRole('button', { name: 'Start on 2 hosts' }).click();
  await dialog.getByRole('alert').filter({ hasText: `hold-a is taken by rollout ${cancelledId}` }).waitFor();
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });

  // Cancel asks first; "Keep it running" changes nothing.
  await article.getByRole('button', { name: 'Cancel…' }).click();
  const confirm = page.getByRole('dialog', { name: /^Cancel the rollout refresh on tag hold\?$/ });
  await confirm.getByRole('button', { name: 'Keep it running' }).click();
  await confirm.waitFor({ state: 'hidden' });
  assert.equal(rolloutOf(cancelledId)?.status, 'running');
  await article.getByRole('button', { name: 'Cancel…' }).click();
  await confirm.getByRole('button', { name: 'Cancel rollout' }).click();
  await page.locator(`article.rollout[data-rollout="${cancelledId}"][data-status="cancelled"]`).waitFor();
  assert.deepEqual(await stepStates(page, 'hold-b'), ['cancelled']);
  assert.deepEqual(await stepStates(page, 'hold-a'), ['running'], 'the command that runs is left to finish');
  finish(holdA, held);
  await cell(page, 'hold-a', 'refresh-all').and(page.locator('[data-state="succeeded"]')).waitFor();
  await holdB.barrier();
  assert.equal(holdB.ofType('command').length, 1, 'hold-b got nothing from the cancelled rollout');
  await page.getByLabel('Filter hosts by tag').selectOption('');
  assert.deepEqual(fleet.watched.errors, []);
});

test('the dialog keeps every change made within one frame: three numbers typed at once, two steps added at once', async () => {
  const { page } = fleet.watched;
  for (const name of ['frame-a', 'frame-b', 'frame-c']) await fleet.agent(name, { tags: ['frame'] });
  const dialog = await startTagRollout(page, 'frame', 3);
  // Changes made within one task (a script filling the form) are drawn together: each must build on
  // the one before, not on what was last drawn.
  await page.evaluate(`(() => {
    for (const [name, value] of [['canary', '1'], ['batch_size', '2'], ['max_failures', '1']]) {
      const input = document.querySelector('dialog.rollout-form input[name="' + name + '"]');
      input.value = value;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }
  })()`);
  await expectText(dialog.locator('.plan-strategy'), '3 hosts: 1 canary, then batches of 2, halt after 2 failures, skip offline hosts');
  await dialog.getByLabel('Steps').selectOption('custom');
  await dialog.getByRole('button', { name: 'Add step' }).waitFor();
  await page.evaluate(`(() => {
    const add = [...document.querySelectorAll('dialog.rollout-form button')].find((b) => b.textContent === 'Add step');
    add.click();
    add.click();
  })()`);
  await expectText(dialog.locator('.plan-steps'), 'Each host runs refresh-all, then test, then test; a host that fails a step is skipped for the rest.');
  assert.deepEqual(await Promise.all((await dialog.locator('.steps-editor select').all()).map((select) => select.inputValue())), ['refresh-all', 'test', 'test']);
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
  await page.getByLabel('Filter hosts by tag').selectOption('');
  assert.deepEqual(fleet.watched.errors, []);
});

test('more rollouts than init carries: the list shows the recent ones, "Show older rollouts" reads the rest, and any can be opened', async () => {
  const { page } = fleet.watched;
  const socket = await fleet.agent('older-host');
  stopAnswering.push(answerCommands(socket, (command) => finish(socket, command)));
  const session = await login(fleet.t.url);
  const started: string[] = [];
  for (let i = 0; i < 21; i++) {
    const response = await fetch(`${fleet.t.url}/api/rollouts`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ hosts: ['older-host'], preset: 'refresh' }),
    });
    assert.equal(response.status, 201);
    const { rollout } = (await response.json()) as { rollout: { id: string } };
    started.push(rollout.id);
    await until(async () => rolloutOf(rollout.id)?.status === 'succeeded', `rollout ${i} to end`);
  }
  const everyRollout = await fleet.t.dashboard.context.hub.parts.rollouts.list(1_000);
  assert.ok(everyRollout.length > 20, 'more than init carries');

  await page.reload();
  await waitLive(page);
  const items = page.locator('.rollout-item');
  await items.first().waitFor();
  assert.equal(await items.count(), 20, 'init carries the 20 most recent');
  await page.getByRole('button', { name: 'Show older rollouts' }).click();
  await page.getByText('That is every rollout.').waitFor();
  const listed = await items.evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-rollout') ?? ''));
  assert.deepEqual([...listed].sort(), everyRollout.map((r) => r.id).sort(), 'every one');
  const createdAt = new Map(everyRollout.map((r) => [r.id, r.created_at]));
  const times = listed.map((id) => createdAt.get(id) ?? '');
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  assert.equal(listed[0], started[started.length - 1]);

  // The oldest, read over HTTP only, opens like any other.
  const oldest = everyRollout.find((r) => r.id === listed[listed.length - 1]);
  assert.ok(oldest);
  await items.last().click();
  await page.locator(`article.rollout[data-rollout="${oldest.id}"][data-status="${oldest.status}"]`).waitFor();
  assert.deepEqual(
    await page.locator('.rollout-grid tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-host'))),
    oldest.hosts.map((h) => h.host_id),
  );
  assert.deepEqual(fleet.watched.errors, []);
});

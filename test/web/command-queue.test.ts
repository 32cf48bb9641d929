// Commands for a host that cannot take them now, from the page: the dashboard's refusal offers the
// queue, the queued command shows on the host's row with its expiry, it can be cancelled, and the
// rest go to the agent when it is back. Stopping a command marks that command stopped on the row,
// never the stop itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseAction, hostRow, until } from './helpers/browser.js';
import { finish, nextCommand } from './helpers/agent-script.js';
import { watchedDashboard } from './helpers/watched-dashboard.js';

const fleet = watchedDashboard({ env: { NIXFLEET_OFFLINE_TIMEOUT: '1s', NIXFLEET_QUEUE_TTL: '24h' } });

const statusOf = (commandId: string) => fleet.t.dashboard.context.hub.parts.commands.get(commandId)?.status;

test('a command for an offline host is queued from the page, shows its expiry, can be cancelled, and the rest reach the agent when it is back', async () => {
  const { page } = fleet.watched;
  const first = await fleet.agent('queue-host');
  first.ws.terminate();
  const row = hostRow(page, 'queue-host');
  await row.locator('.badge.presence-offline').waitFor();

  // The dashboard refuses it now (409 host_offline); the page offers to queue it instead.
  await chooseAction(page, 'queue-host', 'Pull');
  const dialog = page.getByRole('dialog', { name: 'Queue Pull for queue-host?' });
  await dialog.getByText('queue-host cannot take commands: it is offline').waitFor();
  await dialog.getByRole('button', { name: 'Queue', exact: true }).click();
  // First, while it shows (a notice of success goes by itself after a few seconds).
  await page.locator('.notice').filter({ hasText: 'Pull queued for queue-host: it runs when the host can take it.' }).waitFor();
  const queuedPull = row.locator('.queued-command').filter({ hasText: 'pull' });
  await queuedPull.waitFor();
  assert.equal(await queuedPull.locator('.badge').textContent(), 'queued');
  assert.equal(await queuedPull.locator('.expiry').textContent(), 'expires in 23 h');

  // A disruptive one is confirmed first, then offered the queue.
  await chooseAction(page, 'queue-host', 'Reboot…');
  await page.getByRole('dialog', { name: 'Reboot on queue-host?' }).getByRole('button', { name: 'Reboot', exact: true }).click();
  await page.getByRole('dialog', { name: 'Queue Reboot for queue-host?' }).getByRole('button', { name: 'Queue', exact: true }).click();
  const queuedReboot = row.locator('.queued-command').filter({ hasText: 'reboot' });
  await queuedReboot.waitFor();
  assert.deepEqual(await row.locator('.queued-command button.link').allTextContents(), ['pull', 'reboot'], 'in the order the host will take them');

  const rebootId = (await queuedReboot.getAttribute('data-command')) ?? '';
  await row.getByRole('button', { name: 'Cancel reboot queued for queue-host' }).click();
  await page.locator('.notice').filter({ hasText: 'reboot for queue-host was cancelled.' }).waitFor();
  await queuedReboot.waitFor({ state: 'detached' });
  assert.equal(statusOf(rebootId), 'cancelled', 'DELETE /api/commands/:id withdrew it');

  // Back online, the agent gets the pull, and only the pull.
  const second = await fleet.connect('queue-host');
  const pull = await nextCommand(second);
  assert.equal(pull.command, 'pull');
  await row.locator('.queued-command').waitFor({ state: 'detached' });
  await row.locator('.command-shown').filter({ hasText: 'pull' }).locator('.badge.status-running').waitFor();
  finish(second, pull);
  await row.locator('.command-shown .badge.status-succeeded').waitFor();
  await second.barrier();
  assert.deepEqual(
    second.ofType('command').map((m) => m.payload.command),
    ['pull'],
    'the cancelled reboot never went out',
  );
  assert.deepEqual(fleet.watched.errors, []);
});

test('stopping a command marks that command stopped on the row, not the stop; the tests say their run was stopped', async () => {
  const { page } = fleet.watched;
  const host = await fleet.agent('stop-host');
  const row = hostRow(page, 'stop-host');
  await chooseAction(page, 'stop-host', 'Test');
  const run = await nextCommand(host);
  assert.equal(run.command, 'test');
  await row.locator('.command-shown').filter({ hasText: 'test' }).locator('.badge.status-running').waitFor();
  await row.locator('[data-compartment="tests"][data-status="working"]').waitFor();

  await chooseAction(page, 'stop-host', 'Stop…');
  await page.getByRole('dialog', { name: 'Stop on stop-host?' }).getByRole('button', { name: 'Stop', exact: true }).click();
  await page.locator('.notice').filter({ hasText: 'Stop sent to stop-host.' }).waitFor();
  const stop = await nextCommand(host);
  assert.equal(stop.command, 'stop');
  // The stop is delivered (the dashboard marks it succeeded) before the test reports how it ended.
  await until(async () => statusOf(stop.command_id) === 'succeeded', 'the stop to be delivered');
  assert.equal(await row.locator('.command-shown button.link').textContent(), 'test', 'the row still shows the test, not the stop');

  host.send('status', { status: 'stopped', command: 'test', command_id: run.command_id, exit_code: null, message: 'stopped by the admin' });
  const shown = row.locator('.command-shown');
  await shown.locator('.badge.status-stopped').waitFor();
  assert.equal(await shown.locator('button.link').textContent(), 'test');
  assert.equal(await shown.getAttribute('data-command'), run.command_id);
  assert.equal(await row.locator('.command-cell').getByText('stop', { exact: true }).count(), 0);
  await row.locator('[data-compartment="tests"]:not([data-status="working"])').waitFor();
  assert.match((await row.locator('[data-compartment="tests"]').getAttribute('title')) ?? '', /stopped/);
  assert.doesNotMatch((await row.locator('[data-compartment="tests"]').getAttribute('data-status')) ?? '', /error/, 'stopped is not failed');
  assert.deepEqual(fleet.watched.errors, []);
});

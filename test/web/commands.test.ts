// Commands from the page to real agents: confirmation, dispatch, live output in order with stderr
// marked, the final status, refusals that say why, actions on a selection, and output that survives
// opening a tab late or refreshing the page (replay), with autoscroll that pauses and a full download.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { login, sendCommand } from '../helpers/dashboard.js';
import { chooseAction, hostRow, until, waitLive } from './helpers/browser.js';
import { finish, nextCommand, printLines, sendLines } from './helpers/agent-script.js';
import { watchedDashboard } from './helpers/watched-dashboard.js';

const fleet = watchedDashboard({ page: { permissions: ['clipboard-read', 'clipboard-write'] } });

const shownLines = (page: Page) => page.locator('.log .log-line').allTextContents();
const lineCount = (page: Page) => page.locator('.line-count').getAttribute('data-count');

test('Switch asks first, then reaches the agent; its lines stream into a tab in order, stderr marked, then the final status', async () => {
  const { page } = fleet.watched;
  const web = await fleet.agent('web-01');

  await chooseAction(page, 'web-01', 'Switch…');
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: 'Switch on web-01?' }).waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });

  await chooseAction(page, 'web-01', 'Switch…');
  await dialog.getByRole('button', { name: 'Switch', exact: true }).click();
  const received = await nextCommand(web);
  assert.equal(received.command, 'switch');
  assert.equal(web.ofType('command').length, 1, 'the cancelled Switch sent nothing');

  await page.getByRole('tab', { name: 'web-01 · switch', selected: true }).waitFor();
  await hostRow(page, 'web-01').locator('.badge.status-running').waitFor();
  const lines = [
    { seq: 0, stream: 'stdout' as const, line: 'building the system configuration...' },
    { seq: 1, stream: 'stderr' as const, line: "warning: Git tree '/etc/nixos' is dirty" },
    { seq: 2, stream: 'stdout' as const, line: 'these 3 derivations will be built:' },
    { seq: 3, stream: 'stdout' as const, line: '  /nix/store/…-nixos-system-web-01.drv' },
    { seq: 4, stream: 'stdout' as const, line: 'activating the configuration...' },
    { seq: 5, stream: 'stderr' as const, line: 'warning: the following units failed: foo.service' },
    { seq: 6, stream: 'stdout' as const, line: 'setting up /etc...' },
    { seq: 7, stream: 'stdout' as const, line: 'reloading user units for admin...' },
  ];
  sendLines(web, received.command_id, lines.slice(0, 3));
  await until(async () => (await lineCount(page)) === '3', 'the first 3 lines');
  sendLines(web, received.command_id, lines.slice(3, 5));
  sendLines(web, received.command_id, lines.slice(5));
  await until(async () => (await lineCount(page)) === '8', 'all 8 lines');
  assert.deepEqual(await shownLines(page), lines.map((l) => l.line));
  const stderr = await page.locator('.log .log-line.stderr').allTextContents();
  assert.deepEqual(stderr, [lines[1]?.line, lines[5]?.line]);

  finish(web, received);
  const tabPanel = page.getByRole('tabpanel');
  await tabPanel.locator('.badge.status-succeeded').waitFor();
  await tabPanel.getByText('exit 0').waitFor();
  await hostRow(page, 'web-01').locator('.badge.status-succeeded').waitFor();
  await page.locator('.events').getByText('switch on web-01 succeeded').waitFor();
  await page.locator('.events').getByText(/sent switch to web-01/).waitFor();

  await page.getByRole('button', { name: 'Copy' }).click();
  await page.locator('.notice').filter({ hasText: 'Copied 8 lines of switch on web-01.' }).waitFor();
  assert.equal(await page.evaluate('navigator.clipboard.readText()'), lines.map((l) => l.line).join('\n'));
  assert.deepEqual(fleet.watched.errors, []);
});

test('a command the dashboard refuses (409) tells the admin why: busy offers the queue, a stop of nothing says so', async () => {
  const { page } = fleet.watched;
  const busy = await fleet.agent('web-busy');
  const session = await login(fleet.t.url);
  assert.equal((await sendCommand(fleet.t.url, session, 'web-busy', 'switch')).status, 202);
  const running = await nextCommand(busy);
  await hostRow(page, 'web-busy').locator('.badge.status-running').waitFor();

  await chooseAction(page, 'web-busy', 'Pull');
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: 'Queue Pull for web-busy?' }).waitFor();
  await dialog.getByText(/^web-busy is busy with switch/).waitFor();
  await dialog.getByRole('button', { name: 'Don’t queue' }).click();
  await dialog.waitFor({ state: 'hidden' });
  finish(busy, running);
  await hostRow(page, 'web-busy').locator('.badge.status-succeeded').waitFor();
  await busy.barrier();
  assert.equal(busy.ofType('command').length, 1, 'declining the queue sent nothing');

  // A stop is never queued: refused, it says why at once.
  busy.ws.terminate();
  await hostRow(page, 'web-busy').locator('.badge.presence-reconnecting, .badge.presence-offline').first().waitFor();
  await chooseAction(page, 'web-busy', 'Stop…');
  await dialog.getByRole('button', { name: 'Stop', exact: true }).click();
  await page.locator('.notice-error').filter({ hasText: 'Stop refused for web-busy: web-busy cannot take commands' }).waitFor();
  await page.locator('.notice-error').getByRole('button', { name: 'Dismiss' }).first().click();
});

test('the hosts of a selection get a command together, each in a tab of its own', async () => {
  const { page } = fleet.watched;
  const first = await fleet.agent('bulk-1');
  const second = await fleet.agent('bulk-2');
  await page.getByLabel('Select bulk-1').check();
  await page.getByLabel('Select bulk-2').check();
  const bulk = page.getByRole('group', { name: 'Actions for the selected hosts' });
  await bulk.getByText('2 selected').waitFor();

  await bulk.getByRole('button', { name: 'Rollback' }).click();
  const dialog = page.getByRole('dialog');
  // Its list is read once it is there.
  await dialog.getByRole('heading', { name: 'Rollback on 2 hosts?' }).waitFor();
  assert.deepEqual(await dialog.locator('li').allTextContents(), ['bulk-1', 'bulk-2']);
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await bulk.getByRole('button', { name: 'Test' }).click();
  const [a, b] = await Promise.all([nextCommand(first), nextCommand(second)]);
  assert.equal(a.command, 'test');
  assert.equal(b.command, 'test');
  await page.getByRole('tab', { name: 'bulk-1 · test' }).waitFor();
  await page.getByRole('tab', { name: 'bulk-2 · test' }).waitFor();
  finish(first, a);
  finish(second, b, 'error');
  await page.getByRole('tab', { name: 'bulk-2 · test' }).click();
  await page.getByRole('tabpanel').locator('.badge.status-failed').waitFor();
  await bulk.getByRole('button', { name: 'Clear selection' }).click();
});

test('a tab opened mid-command and a page refresh both show every line from the first; new lines keep coming', async () => {
  const { page } = fleet.watched;
  const host = await fleet.agent('web-long');
  const session = await login(fleet.t.url);
  await sendCommand(fleet.t.url, session, 'web-long', 'pull-switch');
  const received = await nextCommand(host);
  // More than one replay answer holds (5,000 lines), so the page must ask again from where it stopped.
  let next = printLines(host, received.command_id, 12_000, { stderr: (seq) => seq % 1000 === 999 });
  await until(async () => fleet.t.dashboard.context.hub.parts.commands.get(received.command_id)?.output_lines === 12_000, 'the dashboard to have 12,000 lines');

  await hostRow(page, 'web-long').getByRole('button', { name: 'pull-switch', exact: true }).click();
  await until(async () => (await lineCount(page)) === '12000', 'the replayed 12,000 lines');

  await page.reload();
  await waitLive(page);
  await page.getByRole('tab', { name: 'web-long · pull-switch', selected: true }).waitFor();
  await until(async () => (await lineCount(page)) === '12000', 'the 12,000 lines after the refresh');
  assert.equal((await shownLines(page)).at(-1), 'line 11999', 'the view follows the end');

  // Scrolling up pauses the autoscroll: new lines arrive without moving the view.
  await page.evaluate(`document.querySelector('.log').scrollTop = 0`);
  await page.getByRole('button', { name: '↓ Follow new lines' }).waitFor();
  assert.equal((await shownLines(page))[0], 'line 0');
  next = printLines(host, received.command_id, 100, { from: next });
  await until(async () => (await lineCount(page)) === '12100', 'the live lines after the refresh');
  assert.equal(await page.evaluate(`document.querySelector('.log').scrollTop`), 0, 'the view stayed where the admin put it');
  await page.getByRole('button', { name: '↓ Follow new lines' }).click();
  await until(async () => (await shownLines(page)).at(-1) === 'line 12099', 'the view back at the end');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
  assert.match(download.suggestedFilename(), /^web-long-pull-switch-[0-9a-f]{8}\.log$/);
  const text = fs.readFileSync(await download.path(), 'utf8');
  const downloaded = text.trimEnd().split('\n');
  assert.equal(downloaded.length, next);
  assert.ok(downloaded.every((line, i) => line === `line ${i}`), 'every line, in order');
  finish(host, received);
  assert.deepEqual(fleet.watched.errors, []);
});

// Host tags in the page, against a real dashboard and real agent sockets: the agent's tags show on
// the row, apart and read-only; the admin's are edited from the row's Actions menu (checked in the
// form before any request, saved with PUT /api/hosts/:id/tags, shown live); the tag filter narrows
// the table, together with the summary's filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { hostRow } from './helpers/browser.js';
import { expectText } from './helpers/text.js';
import { watchedDashboard } from './helpers/watched-dashboard.js';

const fleet = watchedDashboard({ env: { NIXFLEET_OFFLINE_TIMEOUT: '1s' } });

const agent = (hostname: string, tags: string[]) => fleet.agent(hostname, { tags });

const tagsOf = (page: Page, hostId: string, kind: 'admin' | 'agent') =>
  hostRow(page, hostId).locator(`.tag-${kind}`).evaluateAll((tags) => tags.map((tag) => tag.getAttribute('data-tag')));
const shownHosts = (page: Page) => page.locator('tr.host').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-host')));

test('the admin edits a host’s tags from its Actions menu; the agent’s tags show apart and stay', async () => {
  const { page } = fleet.watched;
  await agent('tag-web', ['web']);
  assert.deepEqual(await tagsOf(page, 'tag-web', 'agent'), ['web']);
  assert.deepEqual(await tagsOf(page, 'tag-web', 'admin'), []);
  assert.match((await hostRow(page, 'tag-web').locator('.tag-agent').getAttribute('title')) ?? '', /NIXFLEET_TAGS/);

  const puts: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'PUT') puts.push(request.url());
  });
  await page.getByRole('button', { name: 'Actions for tag-web' }).click();
  await page.getByRole('menuitem', { name: 'Edit tags…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Tags of tag-web' });
  await dialog.locator('.agent-tags .tag-agent').filter({ hasText: 'web' }).waitFor();
  const field = dialog.getByLabel('Tags', { exact: true });

  // A tag the dashboard would refuse is caught in the form; nothing is sent.
  await field.fill('db bad/tag');
  await dialog.getByRole('button', { name: 'Save tags' }).click();
  await expectText(dialog.getByRole('alert'), '“bad/tag” cannot be a tag: a tag is a letter or digit, then up to 62 letters, digits, dots, dashes or underscores.');
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  assert.deepEqual(puts, []);

  await field.fill('prod, db');
  await dialog.getByRole('button', { name: 'Save tags' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await hostRow(page, 'tag-web').locator('.tag-admin[data-tag="prod"]').waitFor();
  assert.deepEqual(await tagsOf(page, 'tag-web', 'admin'), ['db', 'prod']);
  assert.deepEqual(await tagsOf(page, 'tag-web', 'agent'), ['web'], 'the agent’s own stay');
  assert.deepEqual(puts, [`${fleet.t.url}/api/hosts/tag-web/tags`]);
  assert.deepEqual(fleet.t.dashboard.context.hub.parts.fleet.get('tag-web')?.record.tags, ['db', 'prod']);

  // Opened again, the form starts from the tags as they are; emptied, it removes them.
  await page.getByRole('button', { name: 'Actions for tag-web' }).click();
  await page.getByRole('menuitem', { name: 'Edit tags…' }).click();
  assert.equal(await field.inputValue(), 'db, prod');
  await field.fill('db');
  await dialog.getByRole('button', { name: 'Save tags' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await hostRow(page, 'tag-web').locator('.tag-admin[data-tag="prod"]').waitFor({ state: 'detached' });
  assert.deepEqual(await tagsOf(page, 'tag-web', 'admin'), ['db']);
  assert.deepEqual(fleet.watched.errors, []);
});

test('the tag filter shows the hosts with a tag of either kind, and works together with the summary filter', async () => {
  const { page } = fleet.watched;
  await agent('tag-db', ['db', 'eu']);
  const gone = await agent('tag-gone', ['eu']);
  await agent('tag-none', []);
  const filter = page.getByLabel('Filter hosts by tag');
  assert.deepEqual(await filter.locator('option').allTextContents(), ['All tags', 'Tag: db', 'Tag: eu', 'Tag: web']);

  await filter.selectOption('db');
  await page.locator('tr.host[data-host="tag-none"]').waitFor({ state: 'detached' });
  assert.deepEqual(await shownHosts(page), ['tag-db', 'tag-web'], 'the agent’s db and the admin’s db');
  await filter.selectOption('eu');
  await page.locator('tr.host[data-host="tag-web"]').waitFor({ state: 'detached' });
  assert.deepEqual(await shownHosts(page), ['tag-db', 'tag-gone']);

  // Offline and tagged eu: both filters apply.
  gone.ws.terminate();
  await hostRow(page, 'tag-gone').locator('.badge.presence-offline').waitFor();
  await page.locator('.summary-part[data-filter="offline"]').click();
  await page.locator('tr.host[data-host="tag-db"]').waitFor({ state: 'detached' });
  assert.deepEqual(await shownHosts(page), ['tag-gone']);
  await filter.selectOption('web');
  await page.getByText('No host matches the filter.').waitFor();
  await page.getByRole('button', { name: 'Show all' }).click();
  await hostRow(page, 'tag-web').waitFor();
  assert.deepEqual(await shownHosts(page), ['tag-web'], 'the summary filter is off, the tag filter still on');
  await filter.selectOption('');
  await hostRow(page, 'tag-none').waitFor();
  assert.deepEqual(await shownHosts(page), ['tag-db', 'tag-gone', 'tag-none', 'tag-web']);
  assert.deepEqual(fleet.watched.errors, []);
});

// API tokens in a real browser against a real dashboard: a token made in the panel is shown once,
// works as `Authorization: Bearer` with the scope chosen in the form, shows its last use, and stops
// working the moment it is revoked in the panel (after a confirmation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { login } from '../helpers/dashboard.js';
import { logIn, openPage, screenshot, until } from './helpers/browser.js';
import { watchedDashboard } from './helpers/watched-dashboard.js';

const fleet = watchedDashboard({ page: { permissions: ['clipboard-read', 'clipboard-write'] } });

/** A request as a script would make it: the token, no cookie, no CSRF token. */
function withToken(secret: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${fleet.t.url}${path}`, { ...init, headers: { authorization: `Bearer ${secret}`, ...init.headers } });
}

const focusedName = (page: Page) => page.evaluate('document.activeElement?.getAttribute("name") ?? ""');
const focusedText = (page: Page) => page.evaluate('document.activeElement?.textContent ?? ""');

/** Whether the text is anywhere the page keeps things, once the next frame has been drawn. */
async function pageHolds(page: Page, text: string): Promise<boolean> {
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
  const kept = await page.evaluate('document.documentElement.outerHTML + JSON.stringify(sessionStorage) + JSON.stringify(localStorage)');
  return String(kept).includes(text);
}

test('a token made in the panel is shown once, works with its scope until it is revoked there, then gets 401', async () => {
  const { page } = fleet.watched;
  const posts: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().endsWith('/api/tokens')) posts.push(request.url());
  });

  await page.getByRole('button', { name: 'API tokens' }).focus();
  await page.keyboard.press('Enter');
  const panel = page.getByRole('dialog', { name: 'API tokens' });
  await panel.getByText('No API token yet.').waitFor();
  assert.equal(await focusedName(page), 'token_name', 'the name field has the focus');

  // An empty name never leaves the form.
  await panel.getByRole('button', { name: 'Create token' }).click();
  await panel.locator('.form-error').filter({ hasText: 'Give the token a name' }).waitFor();
  assert.equal(await panel.getByLabel('Name').getAttribute('aria-invalid'), 'true');
  assert.deepEqual(posts, [], 'no request left the page');

  await panel.getByLabel('Name').fill('ci-script');
  await panel.getByLabel('Scope').selectOption('operate');
  await panel.getByLabel('Name').press('Enter');

  const secretBox = panel.locator('.token-secret');
  await secretBox.waitFor();
  await until(async () => (await focusedText(page)) === 'Copy token', 'the focus on the secret’s Copy button');
  const secret = (await secretBox.locator('.token-value').textContent()) ?? '';
  assert.match(secret, /^nfx_.{20,}$/, `the secret is shown: "${secret}"`);
  assert.match((await secretBox.locator('.warning').textContent()) ?? '', /it will not be shown again/);
  assert.equal(posts.length, 1);
  await secretBox.getByRole('button', { name: 'Copy token' }).click();
  await secretBox.getByText('Token copied.').waitFor();
  assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret, 'Copy put exactly the secret on the clipboard');

  const row = panel.locator('tr', { has: page.getByRole('rowheader', { name: 'ci-script' }) });
  await row.waitFor();
  assert.equal(await row.locator('.scope').textContent(), 'operate');
  assert.equal(await row.locator('.token-creator').textContent(), 'admin at 127.0.0.1');
  assert.equal(await row.locator('.token-last-used').textContent(), 'never');
  await screenshot(panel, 'api-token-created.png');

  // The scope chosen in the form is the token's: operate may read hosts, not add them.
  assert.equal((await withToken(secret, '/api/hosts')).status, 200, 'the token reads the hosts');
  const refusedAdmin = await withToken(secret, '/api/hosts', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ hostname: 'not-allowed' }),
  });
  assert.equal(refusedAdmin.status, 403);
  assert.match(((await refusedAdmin.json()) as { message: string }).message, /needs the admin scope/);

  await secretBox.getByRole('button', { name: 'I have copied it' }).click();
  await secretBox.waitFor({ state: 'detached' });
  assert.equal(await pageHolds(page, secret), false, 'once dismissed, the secret is nowhere in the page');
  assert.equal(await focusedName(page), 'token_name', 'the focus stays in the dialog');

  // Opened again, the list is read again and shows the use just made.
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'hidden' });
  await page.getByRole('button', { name: 'API tokens' }).click();
  const lastUsed = row.locator('.token-last-used');
  await until(async () => /^\d+ s ago$/.test((await lastUsed.textContent()) ?? ''), 'the last use shown in seconds');
  assert.equal(await panel.locator('.token-secret').count(), 0, 'the secret is not shown again');

  // Revoking asks first; keeping it changes nothing.
  await panel.getByRole('button', { name: 'Revoke ci-script…' }).click();
  const ask = page.getByRole('dialog', { name: 'Revoke the API token “ci-script”?' });
  await ask.getByText('It stops working at once').waitFor();
  await ask.getByRole('button', { name: 'Keep it' }).click();
  await ask.waitFor({ state: 'hidden' });
  await panel.getByRole('button', { name: 'Revoke ci-script…' }).click();
  await ask.getByText('It stops working at once').waitFor();
  await page.keyboard.press('Escape');
  await ask.waitFor({ state: 'hidden' });
  assert.ok(await panel.isVisible(), 'Escape closes the confirmation, not the dialog under it');
  assert.equal((await withToken(secret, '/api/hosts')).status, 200, 'kept, the token still works');

  await panel.getByRole('button', { name: 'Revoke ci-script…' }).click();
  await ask.getByRole('button', { name: 'Revoke token' }).click();
  await ask.waitFor({ state: 'hidden' });
  await row.waitFor({ state: 'detached' });
  await panel.getByRole('status').filter({ hasText: '“ci-script” was revoked: it no longer works.' }).waitFor();
  await panel.getByText('No API token yet.').waitFor();
  // The focus moves when the confirmation's close event comes, a task after it closed.
  await until(async () => (await focusedName(page)) === 'token_name', 'with its row gone, the focus on the form, inside the panel');

  const after = await withToken(secret, '/api/hosts');
  assert.equal(after.status, 401, 'the revoked token is refused');
  assert.equal(((await after.json()) as { error: string }).error, 'unauthorized');

  await panel.getByRole('button', { name: 'Close' }).click();
  await panel.waitFor({ state: 'hidden' });
  assert.deepEqual(fleet.watched.errors, []);
});

test('a name in use is refused in the form; on a phone in dark mode the panel fits the screen', async () => {
  const session = await login(fleet.t.url);
  const response = await fetch(`${fleet.t.url}/api/tokens`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'backup', scope: 'read' }),
  });
  assert.equal(response.status, 201);

  const phone = await openPage(fleet.browser, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  await logIn(phone.page, fleet.t.url);
  await phone.page.getByRole('button', { name: 'API tokens' }).click();
  const panel = phone.page.getByRole('dialog', { name: 'API tokens' });
  await panel.getByRole('rowheader', { name: 'backup' }).waitFor();
  await panel.getByLabel('Name').fill('backup');
  await panel.getByRole('button', { name: 'Create token' }).click();
  await panel.locator('.form-error').filter({ hasText: 'A token named “backup” exists already' }).waitFor();

  const box = await panel.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the panel is inside the screen: ${JSON.stringify(box)}`);
  assert.ok(box && box.y >= 0 && box.y + box.height <= 844, 'and no taller than it');
  await screenshot(phone.page, 'api-tokens-phone-dark.png');
  assert.deepEqual(phone.errors, []);
  await phone.close();
});

test('a name typed while a token is being made stays in the form for the next one', async () => {
  const { page } = fleet.watched;
  // The dashboard's answer is held back until the admin has typed the next name.
  let sent!: () => void;
  const posted = new Promise<void>((resolve) => (sent = resolve));
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/tokens', async (route) => {
    if (route.request().method() === 'POST') {
      sent();
      await held;
    }
    await route.continue();
  });
  try {
    await page.getByRole('button', { name: 'API tokens' }).click();
    const panel = page.getByRole('dialog', { name: 'API tokens' });
    await panel.getByLabel('Name').fill('first-script');
    await panel.getByLabel('Name').press('Enter');
    await posted;
    await panel.getByLabel('Name').fill('second-script');
    release();
    await panel.locator('.token-secret').waitFor();
    await panel.getByRole('rowheader', { name: 'first-script' }).waitFor();
    assert.equal(await panel.getByLabel('Name').inputValue(), 'second-script', 'the name typed meanwhile is kept');
    await panel.locator('.token-secret').getByRole('button', { name: 'I have copied it' }).click();
    await panel.getByRole('button', { name: 'Close' }).click();
    await panel.waitFor({ state: 'hidden' });
  } finally {
    release();
    await page.unroute('**/api/tokens');
  }
  assert.deepEqual(fleet.watched.errors, []);
});

// Host management in a real browser against a real dashboard and real agent sockets: adding a host
// shows its token once and that token registers the host; a bad hostname never leaves the form;
// rotating cuts the agent that used the old token; removing a connected host needs "Remove anyway".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tokenSnippet } from '../../src/web/ui/hosts/token-snippet.js';
import type { Browser, Locator, Page } from 'playwright-core';
import { login, startTestDashboard, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { upgradeStatus, type TestSocket } from '../helpers/sockets.js';
import { buildWebClient, hostRow, launchChromium, logIn, openPage, screenshot, type WatchedPage } from './helpers/browser.js';
import { agentWithToken, startAgent } from './helpers/agent-script.js';

let t: TestDashboard;
let browser: Browser;
let watched: WatchedPage;
let session: Session;
const agents: TestSocket[] = [];

before(async () => {
  buildWebClient();
  [t, browser] = await Promise.all([startTestDashboard(), launchChromium()]);
  session = await login(t.url);
  watched = await openPage(browser, { permissions: ['clipboard-read', 'clipboard-write'] });
  await logIn(watched.page, t.url);
});
after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await browser?.close();
  await t?.close();
});

/** Makes a host over the API (not the page), for tests about what happens to it afterwards. */
async function createHost(hostname: string): Promise<string> {
  const response = await fetch(`${t.url}/api/hosts`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ hostname }),
  });
  assert.equal(response.status, 201);
  return ((await response.json()) as { token: string }).token;
}

async function registered(token: string, hostname: string): Promise<TestSocket> {
  const { agent, reply } = await agentWithToken(t.wsUrl, token, hostname);
  agents.push(agent);
  assert.equal(reply, 'registered', `the token registers ${hostname}`);
  return agent;
}

async function chooseAction(page: Page, hostId: string, item: string): Promise<void> {
  await page.getByRole('button', { name: `Actions for ${hostId}` }).click();
  await page.getByRole('menuitem', { name: item, exact: true }).click();
}

async function shownToken(dialog: Locator): Promise<string> {
  const token = (await dialog.locator('.token-value').textContent()) ?? '';
  assert.ok(token.length >= 40, `a token is shown: "${token}"`);
  return token;
}

const focusedText = (page: Page) => page.evaluate('document.activeElement?.textContent ?? ""');
const focusedName = (page: Page) => page.evaluate('document.activeElement?.getAttribute("name") ?? ""');

/**
 * Whether the token is anywhere the page keeps things: its DOM, sessionStorage, localStorage. Asked
 * after the next frame: the page renders its changes on animation frames, and a closed dialog's
 * content leaves with the first render after the close.
 */
async function pageHolds(page: Page, token: string): Promise<boolean> {
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
  const kept = await page.evaluate('document.documentElement.outerHTML + JSON.stringify(sessionStorage) + JSON.stringify(localStorage)');
  return String(kept).includes(token);
}

test('Add host, by keyboard: the host appears in the table, its token is shown once with the commands for the host, and it registers that host', async () => {
  const { page } = watched;
  await page.evaluate('window.__sameDocument = 7');
  await page.getByRole('button', { name: 'Add host' }).focus();
  await page.keyboard.press('Enter');
  const form = page.getByRole('dialog', { name: 'Add a host' });
  await form.waitFor();
  assert.equal(await focusedName(page), 'hostname', 'the hostname field has the focus');
  await page.keyboard.type('enrol-01');
  await form.getByLabel('Location').fill('rack 9');
  await form.getByLabel('Device type').fill('server');
  await form.getByLabel('Use a theme colour').check();
  await form.getByLabel('Hostname').press('Enter');

  const shown = page.getByRole('dialog', { name: 'enrol-01 was added' });
  await shown.waitFor();
  await form.waitFor({ state: 'hidden' });
  const token = await shownToken(shown);
  assert.match((await shown.locator('.warning').textContent()) ?? '', /shown only once/);
  const snippet = (await shown.locator('.snippet').textContent()) ?? '';
  assert.equal(snippet, tokenSnippet(token));
  assert.equal(await focusedText(page), 'Copy token');
  await page.keyboard.press('Enter');
  await shown.getByText('Token copied.').waitFor();
  assert.equal(await page.evaluate('navigator.clipboard.readText()'), token, 'Copy put exactly the token on the clipboard');
  await screenshot(shown, 'token-dialog.png');

  const row = hostRow(page, 'enrol-01');
  await row.waitFor();
  assert.ok(((await row.textContent()) ?? '').includes('rack 9'));
  await row.locator('.badge.presence-offline').waitFor();

  await page.keyboard.press('Escape');
  await shown.waitFor({ state: 'hidden' });
  assert.equal(await focusedText(page), 'Add host', 'the focus is back where the admin started');
  assert.equal(await pageHolds(page, token), false, 'once closed, the token is nowhere in the page');

  await registered(token, 'enrol-01');
  await row.locator('.badge.presence-online').waitFor();
  assert.equal(await page.evaluate('window.__sameDocument'), 7, 'the page was not reloaded');
});

test('a hostname the agent could not register is refused in the form before any request; a taken one is refused by the dashboard, in the form', async () => {
  const { page } = watched;
  await createHost('taken-01');
  const posts: string[] = [];
  const countPosts = (request: { method(): string; url(): string }) => {
    if (request.method() === 'POST' && request.url().endsWith('/api/hosts')) posts.push(request.url());
  };
  page.on('request', countPosts);
  try {
    await page.getByRole('button', { name: 'Add host' }).click();
    const form = page.getByRole('dialog', { name: 'Add a host' });
    const hostname = form.getByLabel('Hostname');
    const error = form.locator('.form-error');
    for (const bad of ['bad host!', '-leading-dash', '../etc']) {
      await hostname.fill(bad);
      await form.getByRole('button', { name: 'Create host' }).click();
      await error.filter({ hasText: `“${bad}” is not a hostname the agent can register` }).waitFor();
      assert.equal(await hostname.getAttribute('aria-invalid'), 'true');
      assert.equal(await focusedName(page), 'hostname', 'the focus goes to the field to fix');
    }
    assert.deepEqual(posts, [], 'no request left the page');

    await hostname.fill('taken-01');
    await form.getByRole('button', { name: 'Create host' }).click();
    await error.filter({ hasText: 'A host with this name exists already' }).waitFor();
    assert.equal(posts.length, 1, 'a valid name is sent');
    assert.equal(await hostname.getAttribute('aria-invalid'), 'true');
    assert.ok(await form.isVisible(), 'the form stays open to fix the name');
    await screenshot(form, 'add-host-refused.png');
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'hidden' });
  } finally {
    page.off('request', countPosts);
  }
});

test('Rotate token: after a warning, a new token is shown; the connected agent is closed with 4004, the old token is refused and the new one registers', async () => {
  const { page } = watched;
  const oldToken = await createHost('rot-01');
  const agent = await registered(oldToken, 'rot-01');
  await hostRow(page, 'rot-01').locator('.badge.presence-online').waitFor();

  await chooseAction(page, 'rot-01', 'Rotate token…');
  const ask = page.getByRole('dialog', { name: 'Rotate the agent token of rot-01?' });
  await ask.getByText('is connected now: it will be disconnected').waitFor();
  await ask.getByRole('button', { name: 'Rotate token' }).click();

  const shown = page.getByRole('dialog', { name: 'New agent token for rot-01' });
  await shown.waitFor();
  const newToken = await shownToken(shown);
  assert.notEqual(newToken, oldToken);
  assert.equal((await agent.closed).code, 4004, 'the agent with the old token is disconnected');
  assert.equal(await upgradeStatus(t.wsUrl, { authorization: `Bearer ${oldToken}` }), 401, 'the old token is refused at the upgrade');
  await registered(newToken, 'rot-01');

  await shown.getByRole('button', { name: 'Done' }).click();
  await shown.waitFor({ state: 'hidden' });
  assert.equal(await pageHolds(page, newToken), false, 'once closed, the token is nowhere in the page');
  assert.equal(await page.evaluate('document.activeElement?.getAttribute("aria-label")'), 'Actions for rot-01');
});

test('Remove host on a connected host shows the dashboard’s refusal first; "Remove anyway" removes it from the table without a reload', async () => {
  const { page } = watched;
  const agent = await startAgent(t.wsUrl, 'gone-01');
  agents.push(agent);
  const row = hostRow(page, 'gone-01');
  await row.locator('.badge.presence-online').waitFor();
  await page.evaluate('window.__sameDocument = 9');

  await chooseAction(page, 'gone-01', 'Remove host…');
  const ask = page.getByRole('dialog', { name: 'Remove gone-01?' });
  await ask.getByRole('button', { name: 'Remove host' }).click();
  await ask.getByRole('alert').filter({ hasText: 'the agent of gone-01 is connected' }).waitFor();
  assert.equal(await focusedText(page), 'Cancel', 'a second click or Enter cannot force it unread');
  assert.equal(await row.count(), 1, 'the refused removal left the host');
  assert.ok(t.dashboard.context.hub.parts.fleet.get('gone-01'), 'and the dashboard still has it');
  await screenshot(ask, 'remove-host-refused.png');

  await ask.getByRole('button', { name: 'Remove anyway' }).click();
  await ask.waitFor({ state: 'hidden' });
  await row.waitFor({ state: 'detached' });
  assert.equal((await agent.closed).code, 4004, 'its agent is disconnected');
  assert.equal(t.dashboard.context.hub.parts.fleet.get('gone-01'), undefined);
  assert.equal(await page.evaluate('window.__sameDocument'), 9, 'the page was not reloaded');
});

test('on a phone in dark mode the Add host form fits the screen', async () => {
  const phone = await openPage(browser, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  await logIn(phone.page, t.url);
  await phone.page.getByRole('button', { name: 'Add host' }).click();
  const form = phone.page.getByRole('dialog', { name: 'Add a host' });
  await form.waitFor();
  const box = await form.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the dialog is inside the screen: ${JSON.stringify(box)}`);
  assert.ok(box && box.y >= 0 && box.y + box.height <= 844, 'and no taller than it');
  const background = await phone.page.evaluate(`getComputedStyle(document.querySelector('dialog.host-form')).backgroundColor`);
  assert.equal(background, 'rgb(24, 29, 38)', 'the dark palette applies');
  await screenshot(phone.page, 'add-host-phone-dark.png');
  assert.deepEqual(phone.errors, []);
  await phone.close();
  assert.deepEqual(watched.errors, []);
});

// Host management in a real browser against a real dashboard and real agent sockets: an empty fleet
// says how to connect the first agent; adding a host shows its token once, with the agent's settings
// for this dashboard, and that token registers the host; a bad hostname never leaves the form; a host
// on the shared agent token is marked until rotating gives it its own; rotating cuts the agent that
// used the old token; removing a connected host needs "Remove anyway".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentSettingsBlocks, tryAgentCommand } from '../../src/web/ui/hosts/agent-settings.js';
import type { Locator, Page } from 'playwright-core';
import { login, type Session } from '../helpers/dashboard.js';
import { upgradeStatus, type TestSocket } from '../helpers/sockets.js';
import { chooseAction, hostRow, logIn, openPage, screenshot, until } from './helpers/browser.js';
import { agentWithToken, createHostToken } from './helpers/agent-script.js';
import { watchedDashboard } from './helpers/watched-dashboard.js';

let session: Session;
const fleet = watchedDashboard({
  page: { permissions: ['clipboard-read', 'clipboard-write'] },
  afterLogIn: async (started) => {
    session = await login(started.t.url);
  },
});

/** Makes a host over the API (not the page), for tests about what happens to it afterwards. */
const createHost = (hostname: string) => createHostToken(fleet.t.url, session, hostname);

async function registered(token: string, hostname: string): Promise<TestSocket> {
  const { agent, reply } = await agentWithToken(fleet.t.wsUrl, token, hostname);
  fleet.keep(agent);
  assert.equal(reply, 'registered', `the token registers ${hostname}`);
  return agent;
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

test('an empty fleet says how to connect the first agent: Add host, or the try-it command pointed at this dashboard', async () => {
  const { page } = fleet.watched;
  const empty = page.getByRole('region', { name: 'No host has connected yet' });
  await empty.waitFor();
  const command = tryAgentCommand(fleet.t.wsUrl);
  assert.match(command, /^NIXFLEET_URL=ws:\/\/127\.0\.0\.1:\d+\/ws /, 'the page’s own dashboard, ws:// on plain http');
  assert.equal(await empty.locator('.try-agent').textContent(), command);
  await empty.getByRole('button', { name: 'Copy command' }).click();
  await empty.getByText('Command copied.').waitFor();
  assert.equal(await page.evaluate('navigator.clipboard.readText()'), command);

  await empty.getByRole('button', { name: 'Add the first host' }).click();
  const form = page.getByRole('dialog', { name: 'Add a host' });
  await form.waitFor();
  await form.getByRole('button', { name: 'Cancel' }).click();
  await form.waitFor({ state: 'hidden' });
  await screenshot(page, 'empty-fleet.png');
});

test('Add host, by keyboard: the host appears in the table, its token is shown once with the agent’s settings for this dashboard, and it registers that host', async () => {
  const { page } = fleet.watched;
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
  assert.equal(await focusedText(page), 'Copy token');
  await page.keyboard.press('Enter');
  await shown.getByText('Token copied.').waitFor();
  assert.equal(await page.evaluate('navigator.clipboard.readText()'), token, 'Copy put exactly the token on the clipboard');

  // Everything to paste on the host, for this dashboard (ws:// on plain http), each with its copy button.
  const blocks = agentSettingsBlocks(token, { wsUrl: fleet.t.wsUrl, hostname: 'enrol-01', hostType: 'nixos' });
  assert.deepEqual(
    await shown.locator('.settings-block').evaluateAll((sections) => sections.map((section) => section.getAttribute('data-block'))),
    blocks.map((block) => block.key),
  );
  for (const block of blocks) {
    const section = shown.locator(`.settings-block[data-block="${block.key}"]`);
    assert.equal(await section.locator('.snippet').textContent(), block.text, `${block.key} is shown as built`);
    await section.getByRole('button', { name: block.copyLabel }).click();
    await until(async () => (await page.evaluate('navigator.clipboard.readText()')) === block.text, `${block.copyLabel} to put the ${block.key} block on the clipboard`);
  }
  const module = blocks.find((block) => block.key === 'module')?.text ?? '';
  assert.ok(module.includes(`url = "${fleet.t.wsUrl}";`) && module.includes('hostname = "enrol-01";'), module);
  const environment = blocks.find((block) => block.key === 'environment')?.text ?? '';
  assert.ok(environment.startsWith(`NIXFLEET_URL=${fleet.t.wsUrl}\nNIXFLEET_TOKEN_FILE=/etc/nixfleet/agent-token\nNIXFLEET_HOSTNAME=enrol-01\n`), environment);
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
  assert.equal(await row.locator('.badge.shared-token').count(), 0, 'a host on its own token is not marked');
  assert.equal(await page.getByRole('region', { name: 'No host has connected yet' }).count(), 0, 'the fleet is not empty any more');
  assert.equal(await page.evaluate('window.__sameDocument'), 7, 'the page was not reloaded');
});

test('a hostname the agent could not register is refused in the form before any request; a taken one is refused by the dashboard, in the form', async () => {
  const { page } = fleet.watched;
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

test('a host whose agent uses the shared agent token is marked, saying how to give it its own; after Rotate token and the new token on the host, it is not', async () => {
  const { page } = fleet.watched;
  const sharedAgent = await fleet.connect('shared-01');
  const row = hostRow(page, 'shared-01');
  const badge = row.locator('.badge.shared-token');
  await badge.waitFor();
  const explained = (await badge.getAttribute('title')) ?? '';
  assert.match(explained, /shared agent token .*Give it its own token: Actions → Rotate token…/);
  // The same words on keyboard focus, where no browser shows a title.
  await row.getByRole('checkbox').focus();
  await page.keyboard.press('Tab');
  const tooltip = page.getByRole('tooltip');
  await tooltip.waitFor();
  assert.equal(await tooltip.textContent(), explained);
  // The action the title names is the one in the row's menu.
  await chooseAction(page, 'shared-01', 'Rotate token…');
  const ask = page.getByRole('dialog', { name: 'Rotate the agent token of shared-01?' });
  await ask.getByRole('button', { name: 'Rotate token' }).click();
  const shown = page.getByRole('dialog', { name: 'New agent token for shared-01' });
  const token = await shownToken(shown);
  assert.equal((await sharedAgent.closed).code, 4004, 'the agent on the shared token is disconnected');
  await shown.getByRole('button', { name: 'Done' }).click();
  await shown.waitFor({ state: 'hidden' });

  await registered(token, 'shared-01');
  await badge.waitFor({ state: 'detached' });
  await row.locator('.badge.presence-online').waitFor();
});

test('Rotate token: after a warning, a new token is shown; the connected agent is closed with 4004, the old token is refused and the new one registers', async () => {
  const { page } = fleet.watched;
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
  assert.equal(await upgradeStatus(fleet.t.wsUrl, { authorization: `Bearer ${oldToken}` }), 401, 'the old token is refused at the upgrade');
  await registered(newToken, 'rot-01');

  await shown.getByRole('button', { name: 'Done' }).click();
  await shown.waitFor({ state: 'hidden' });
  assert.equal(await pageHolds(page, newToken), false, 'once closed, the token is nowhere in the page');
  assert.equal(await page.evaluate('document.activeElement?.getAttribute("aria-label")'), 'Actions for rot-01');
});

test('Remove host on a connected host shows the dashboard’s refusal first; "Remove anyway" removes it from the table without a reload', async () => {
  const { page } = fleet.watched;
  const agent = await fleet.connect('gone-01');
  const row = hostRow(page, 'gone-01');
  await row.locator('.badge.presence-online').waitFor();
  await page.evaluate('window.__sameDocument = 9');

  await chooseAction(page, 'gone-01', 'Remove host…');
  const ask = page.getByRole('dialog', { name: 'Remove gone-01?' });
  await ask.getByRole('button', { name: 'Remove host' }).click();
  await ask.getByRole('alert').filter({ hasText: 'the agent of gone-01 is connected' }).waitFor();
  assert.equal(await focusedText(page), 'Cancel', 'a second click or Enter cannot force it unread');
  assert.equal(await row.count(), 1, 'the refused removal left the host');
  assert.ok(fleet.t.dashboard.context.hub.parts.fleet.get('gone-01'), 'and the dashboard still has it');
  await screenshot(ask, 'remove-host-refused.png');

  await ask.getByRole('button', { name: 'Remove anyway' }).click();
  await ask.waitFor({ state: 'hidden' });
  await row.waitFor({ state: 'detached' });
  assert.equal((await agent.closed).code, 4004, 'its agent is disconnected');
  assert.equal(fleet.t.dashboard.context.hub.parts.fleet.get('gone-01'), undefined);
  assert.equal(await page.evaluate('window.__sameDocument'), 9, 'the page was not reloaded');
});

test('on a phone in dark mode the Add host form fits the screen', async () => {
  const phone = await openPage(fleet.browser, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  await logIn(phone.page, fleet.t.url);
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
  assert.deepEqual(fleet.watched.errors, []);
});

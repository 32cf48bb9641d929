// The fleet table in a real browser, fed by real agent sockets: hosts appear and change live without
// a reload, only changed rows are touched, filter/sort/count work, presence follows the agent, agent
// strings are text, and the table becomes cards on a phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { login, sendCommand } from '../helpers/dashboard.js';
import { heartbeatPayload } from '../helpers/sockets.js';
import { hostRow, logIn, openPage, screenshot, until } from './helpers/browser.js';
import { nextCommand, sendLines } from './helpers/agent-script.js';
import { watchedDashboard } from './helpers/watched-dashboard.js';

// Long enough that a loaded machine draws a killed agent's host reconnecting before it is offline.
const fleet = watchedDashboard({ env: { NIXFLEET_OFFLINE_TIMEOUT: '5s' } });

test('a host appears when its agent connects, without a page reload, with what the agent reported', async () => {
  const { page } = fleet.watched;
  await page.evaluate('window.__sameDocument = 42');
  await fleet.connect(
    'fleet-a',
    { theme_color: '#cc3366', location: 'rack 1', device_type: 'server', os_version: 'NixOS 25.05', agent_version: '2.1.0', generation: 'abc1234ffff' },
    { metrics: { cpu: 37.4, ram: 61.2, swap: 0, load: 1 }, generation: 'abc1234ffff' },
  );
  const row = hostRow(page, 'fleet-a');
  await row.filter({ hasText: '37 %' }).waitFor();
  const text = (await row.textContent()) ?? '';
  for (const expected of ['fleet-a', 'rack 1', 'NixOS 25.05', 'server', 'online', '61 %', '2.1.0', 'abc1234', 's ago']) {
    assert.ok(text.includes(expected), `row shows ${expected}: ${text}`);
  }
  // Without a fleet repository there is nothing to compare git with: the dashboard says so, in grey.
  assert.equal(await row.locator('[data-compartment="agent"]').getAttribute('data-status'), 'ok');
  assert.equal(await row.locator('[data-compartment="git"]').getAttribute('data-status'), 'unknown');
  assert.match((await row.locator('[data-compartment="git"]').getAttribute('title')) ?? '', /^git: unknown — no fleet repository configured/);
  const color = await page.evaluate(`getComputedStyle(document.querySelector('tr[data-host="fleet-a"] .name')).color`);
  assert.equal(color, 'rgb(204, 51, 102)', 'the hostname is in its theme colour');
  assert.equal(await page.evaluate('window.__sameDocument'), 42, 'the page was not reloaded');
});

test('a heartbeat touches only the row of its own host', async () => {
  const { page } = fleet.watched;
  await fleet.connect('fleet-quiet');
  const busy = await fleet.connect('fleet-busy');
  await hostRow(page, 'fleet-busy').waitFor();
  await hostRow(page, 'fleet-quiet').waitFor();
  await page.evaluate(`(() => {
    const row = document.querySelector('tr[data-host="fleet-quiet"]');
    row.__marked = true;
    window.__quietMutations = [];
    new MutationObserver((records) => {
      for (const record of records) {
        const element = record.target.nodeType === 1 ? record.target : record.target.parentElement;
        // "Last seen" ticks every second by design; everything else must stay untouched.
        if (!element.closest('[data-ticking]')) window.__quietMutations.push(record.type);
      }
    }).observe(row, { subtree: true, childList: true, characterData: true, attributes: true });
  })()`);
  for (const cpu of [11, 22, 33]) {
    busy.send('heartbeat', heartbeatPayload({ metrics: { cpu, ram: 50, swap: 0, load: 0.1 } }));
    await hostRow(page, 'fleet-busy').filter({ hasText: `${cpu} %` }).waitFor();
  }
  assert.deepEqual(await page.evaluate('window.__quietMutations'), []);
  assert.equal(await page.evaluate(`document.querySelector('tr[data-host="fleet-quiet"]').__marked`), true, 'the row element is the same one');
});

test('the filter narrows by name, a column header sorts, and the online count follows the fleet', async () => {
  const { page } = fleet.watched;
  await fleet.connect('sort-1', {}, { metrics: { cpu: 90, ram: 10, swap: 0, load: 0 } });
  await fleet.connect('sort-2', {}, { metrics: { cpu: 10, ram: 10, swap: 0, load: 0 } });
  await fleet.connect('sort-3', {}, { metrics: { cpu: 50, ram: 10, swap: 0, load: 0 } });
  const shown = () => page.locator('tbody tr.host').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-host')));
  await page.getByLabel('Filter hosts by name').fill('sort-');
  await until(async () => (await shown()).length === 3, 'three filtered rows');
  await hostRow(page, 'sort-1').filter({ hasText: '90 %' }).waitFor();
  assert.deepEqual(await shown(), ['sort-1', 'sort-2', 'sort-3']);
  await page.getByRole('button', { name: 'CPU' }).click();
  await until(async () => (await shown()).join() === 'sort-2,sort-3,sort-1', 'ascending CPU order');
  assert.equal(await page.locator('th[aria-sort]').getAttribute('aria-sort'), 'ascending');
  await page.getByRole('button', { name: 'CPU' }).click();
  await until(async () => (await shown()).join() === 'sort-1,sort-3,sort-2', 'descending CPU order');
  await page.getByLabel('Filter hosts by name').fill('');
  await page.getByRole('button', { name: 'Host', exact: true }).click();

  const online = fleet.t.dashboard.context.hub.parts.fleet.snapshot().filter((h) => h.status === 'online').length;
  await page.locator(`.online-count[data-online="${online}"]`).waitFor();
  assert.equal(await page.locator('.online-count').textContent(), `${online} of ${online} online`);
});

test('a killed agent shows its host reconnecting, then offline once the grace period is over', async () => {
  const { page } = fleet.watched;
  const victim = await fleet.connect('fleet-kill');
  const row = hostRow(page, 'fleet-kill');
  await row.locator('.badge.presence-online').waitFor();
  victim.ws.terminate();
  await row.locator('.badge.presence-reconnecting').waitFor();
  await row.locator('.badge.presence-offline').waitFor();
  const online = fleet.t.dashboard.context.hub.parts.fleet.snapshot().filter((h) => h.status === 'online').length;
  const total = fleet.t.dashboard.context.hub.parts.fleet.size;
  assert.equal(await page.locator('.online-count').textContent(), `${online} of ${total} online`);
  await page.locator('.events').getByText('host fleet-kill is offline: its agent did not come back').waitFor();
});

test('hostile agent strings and output lines are shown as text, never as markup', async () => {
  const { page } = fleet.watched;
  const hostile = {
    location: '<img src=x onerror="window.__pwned=1">',
    os_version: '<script>window.__pwned=2</script>',
    device_type: '<b>bold</b>',
    agent_version: '"><svg onload=window.__pwned=3>',
  };
  const evil = await fleet.connect('fleet-evil', hostile);
  const row = hostRow(page, 'fleet-evil');
  await row.waitFor();
  const text = (await row.textContent()) ?? '';
  for (const value of Object.values(hostile)) assert.ok(text.includes(value), `shown literally: ${value}`);

  const session = await login(fleet.t.url);
  assert.equal((await sendCommand(fleet.t.url, session, 'fleet-evil', 'test')).status, 202);
  const received = await nextCommand(evil);
  const line = '<img src=x onerror=window.__pwned=4><script>window.__pwned=5</script>';
  sendLines(evil, received.command_id, [{ seq: 0, stream: 'stdout', line }]);
  await row.getByRole('button', { name: 'test', exact: true }).click();
  await page.locator('.log .log-line').filter({ hasText: line }).waitFor();

  assert.equal(await page.locator('#app img, #app script, #app svg, #app b').count(), 0, 'no element was made from agent data');
  assert.equal(await page.evaluate('window.__pwned'), undefined);
});

test('the actions menu works from the keyboard and returns the focus to its button', async () => {
  const { page } = fleet.watched;
  const keyed = await fleet.connect('fleet-keys');
  const button = page.getByRole('button', { name: 'Actions for fleet-keys' });
  await button.focus();
  await page.keyboard.press('Enter');
  const menu = page.getByRole('menu');
  await menu.waitFor();
  assert.equal(await page.evaluate('document.activeElement.textContent'), 'Pull');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate('document.activeElement.textContent'), 'Switch…');
  await page.keyboard.press('Escape');
  await menu.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate('document.activeElement.getAttribute("aria-label")'), 'Actions for fleet-keys');
  await page.keyboard.press('Enter');
  await menu.waitFor();
  await page.keyboard.press('Enter');
  assert.equal((await nextCommand(keyed)).command, 'pull', 'Pull needs no confirmation');
});

test('on a phone the table becomes cards, and dark mode follows the system', async () => {
  const phone = await openPage(fleet.browser, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  await logIn(phone.page, fleet.t.url);
  const row = hostRow(phone.page, 'fleet-a');
  await row.waitFor();
  assert.equal(await phone.page.evaluate(`getComputedStyle(document.querySelector('.fleet-table thead')).display`), 'none');
  assert.equal(await phone.page.evaluate(`getComputedStyle(document.querySelector('tr[data-host="fleet-a"]')).display`), 'grid');
  const width = Number(await phone.page.evaluate('document.documentElement.scrollWidth'));
  assert.ok(width <= 390, `no sideways scrolling on a phone (page is ${width}px wide)`);
  const background = await phone.page.evaluate('getComputedStyle(document.body).backgroundColor');
  assert.equal(background, 'rgb(16, 20, 27)', 'the dark palette applies');
  await screenshot(phone.page, 'fleet-phone-dark.png');
  assert.deepEqual(phone.errors, []);
  await phone.close();
  assert.deepEqual(fleet.watched.errors, []);
});

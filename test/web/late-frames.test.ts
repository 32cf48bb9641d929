// The page draws once per animation frame, but what the admin does is drawn before the next thing
// they do. Here the page's frames are held back (as on a busy page or a loaded machine): a click or a
// keystroke is still drawn at once, so the next click acts on it, not on the frame before. A real
// dashboard, real agent sockets, Chromium; only the page's frame clock is held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { login } from '../helpers/dashboard.js';
import { finish, nextCommand } from './helpers/agent-script.js';
import { watchedDashboard } from './helpers/watched-dashboard.js';

const fleet = watchedDashboard();

/** Runs `act` with the page's animation frames held back, then lets them go; the page's own scripts only (Playwright's run apart). */
async function withFramesHeld(page: Page, act: () => Promise<void>): Promise<void> {
  await page.evaluate(`(() => {
    const held = [];
    const original = window.requestAnimationFrame;
    window.requestAnimationFrame = (callback) => held.push(callback);
    window.__releaseFrames = () => {
      window.requestAnimationFrame = original;
      for (const callback of held.splice(0)) callback(performance.now());
    };
  })()`);
  try {
    await act();
  } finally {
    await page.evaluate('window.__releaseFrames()');
  }
}

test('with frames held back: a box unticked just before Pull keeps its host out, and a second host’s menu opens over the first', async () => {
  const { page } = fleet.watched;
  const [first, second] = await Promise.all([fleet.agent('late-a'), fleet.agent('late-b')]);
  await withFramesHeld(page, async () => {
    await page.getByLabel('Select late-a').check();
    await page.getByLabel('Select late-b').check();
    await page.getByLabel('Select late-b').uncheck();
    const bulk = page.getByRole('group', { name: 'Actions for the selected hosts' });
    assert.equal(await bulk.getByText('1 selected').count(), 1, 'drawn with no frame');
    await bulk.getByRole('button', { name: 'Pull', exact: true }).click();
    const pull = await nextCommand(first);
    assert.equal(pull.command, 'pull');
    finish(first, pull);
    await second.barrier();
    assert.equal(second.ofType('command').length, 0, 'the unticked host got nothing');
    await bulk.getByRole('button', { name: 'Clear selection' }).click();

    // One host's menu open, then another's button: the second menu opens, for the second host.
    await page.getByRole('button', { name: 'Actions for late-a' }).click();
    await page.getByRole('menu', { name: 'Actions for late-a' }).waitFor();
    await page.getByRole('button', { name: 'Actions for late-b' }).click();
    await page.getByRole('menu', { name: 'Actions for late-b' }).getByRole('menuitem', { name: 'Test', exact: true }).click();
    const tested = await nextCommand(second);
    assert.equal(tested.command, 'test');
    finish(second, tested);
  });
  assert.deepEqual(fleet.watched.errors, []);
});

test('with frames held back: a hostname typed and Enter adds that host, whole', async () => {
  const { page } = fleet.watched;
  const form = page.getByRole('dialog', { name: 'Add a host' });
  await withFramesHeld(page, async () => {
    await page.getByRole('button', { name: 'Add host' }).click();
    await form.waitFor();
    await form.getByLabel('Hostname').pressSequentially('late-host-01');
    await form.getByLabel('Hostname').press('Enter');
  });
  // The dashboard's answer is drawn on the next frame, like everything that is not the admin's doing.
  await page.getByRole('dialog', { name: 'late-host-01 was added' }).waitFor();
  const session = await login(fleet.t.url);
  const hosts = (await (await fetch(`${fleet.t.url}/api/hosts`, { headers: { cookie: session.cookie } })).json()) as { hosts: { id: string }[] };
  assert.deepEqual(
    hosts.hosts.map((h) => h.id).filter((id) => id.startsWith('late-host')),
    ['late-host-01'],
  );
  assert.deepEqual(fleet.watched.errors, []);
});

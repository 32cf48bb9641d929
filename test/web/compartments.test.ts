// The desired state and the compartments in a real browser, against a dashboard that reads a real
// fleet repository (a bare git repository on disk) and fake agents over real sockets that report
// the commits they run: the desired commit at the top, coloured cells with their reasons on hover
// and keyboard focus, the summary that filters the table, the fix a yellow cell offers, and the
// badge of two agents fighting over one hostname.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { startTestDashboard } from '../helpers/dashboard.js';
import { connectAgent, heartbeatPayload, type TestSocket } from '../helpers/sockets.js';
import { hostRow, logIn, openPage, UI_WAIT_MS, until } from './helpers/browser.js';
import { expectText } from './helpers/text.js';
import { finish, nextCommand, startAgent } from './helpers/agent-script.js';
import { createFleetRepo, FLEET_BRANCH, type FleetCommit, type FleetRepo } from './helpers/fleet-repo.js';
import { watchedDashboard } from './helpers/watched-dashboard.js';

let repo: FleetRepo;
let older: FleetCommit;
let head: FleetCommit;
const agentOf = new Map<string, TestSocket>();

const fleet = watchedDashboard({
  env: () => {
    repo = createFleetRepo();
    older = repo.commit('hosts/web: first configuration', '{"nodes": {"nixpkgs": "2025-11-01"}}\n');
    head = repo.commit('flake: update nixpkgs to 2025-11-20', '{"nodes": {"nixpkgs": "2025-11-20"}}\n');
    return { NIXFLEET_REPO_URL: repo.url };
  },
});
// After the dashboard has stopped (a file's `after` hooks run in turn).
after(() => repo?.remove());

/** What a v1 agent reports about its checkout and running system. */
function runs(checkedOut: FleetCommit, system: FleetCommit = checkedOut) {
  return { repo_commit: checkedOut.commit, system_commit: system.commit, lock_hash: checkedOut.lockHash };
}

async function agent(hostname: string, facts: ReturnType<typeof runs>): Promise<TestSocket> {
  const socket = await fleet.connect(hostname, { agent_version: '2.1.0', ...facts }, facts);
  agentOf.set(hostname, socket);
  await hostRow(fleet.watched.page, hostname).waitFor();
  return socket;
}

const cell = (page: Page, hostId: string, name: string): Locator => hostRow(page, hostId).locator(`[data-compartment="${name}"]`);

async function waitStatus(page: Page, hostId: string, name: string, status: string): Promise<void> {
  await hostRow(page, hostId).locator(`[data-compartment="${name}"][data-status="${status}"]`).waitFor();
}

/** A computed style property of the element, as the browser has it. */
const computed = (target: Locator, property: 'backgroundColor' | 'color'): Promise<string> =>
  target.evaluate((element, name) => String(element.ownerDocument.defaultView?.getComputedStyle(element)[name]), property);
/** A colour variable of the stylesheet as the browser computes it, to compare a cell's colour with. */
const cssColor = (page: Page, variable: string): Promise<string> =>
  page.evaluate(`(() => {
    const probe = document.createElement('span');
    probe.style.backgroundColor = 'var(${variable})';
    document.body.append(probe);
    const color = getComputedStyle(probe).backgroundColor;
    probe.remove();
    return color;
  })()`);

test('the desired commit is at the top: short hash, subject, branch and a live age', async () => {
  const { page } = fleet.watched;
  const desired = page.locator(`section.desired[data-commit="${head.commit}"]`);
  await desired.waitFor();
  assert.equal(await desired.locator('.desired-commit').textContent(), head.commit.slice(0, 7));
  assert.equal(await desired.locator('.desired-commit').getAttribute('title'), head.commit);
  assert.equal(await desired.locator('.desired-subject').textContent(), head.subject);
  assert.equal(await desired.locator('.desired-branch').textContent(), `on ${FLEET_BRANCH}`);
  const age = desired.locator('.desired-age');
  const first = (await age.textContent()) ?? '';
  assert.match(first, /^committed \d+ (s|min) ago$/);
  // Live: the age moves on by itself, with no message from the dashboard (within a minute once it
  // says minutes, when a loaded machine took that long to start the dashboard and the browser).
  const moves = first.endsWith('min ago') ? 65_000 : UI_WAIT_MS;
  await desired.locator('.desired-age').filter({ hasNotText: new RegExp(`^${first}$`) }).waitFor({ timeout: moves });
  assert.equal(await page.locator('.desired-error').count(), 0);
});

test('a host at the desired commit is green; one a commit behind is yellow, and says why on hover and keyboard focus', async () => {
  const { page } = fleet.watched;
  await agent('web-current', runs(head));
  await agent('web-behind', runs(older));
  for (const name of ['agent', 'git', 'lock', 'system']) await waitStatus(page, 'web-current', name, 'ok');
  await waitStatus(page, 'web-behind', 'git', 'outdated');
  await waitStatus(page, 'web-behind', 'lock', 'outdated');
  await waitStatus(page, 'web-behind', 'system', 'ok');
  // Never tested: grey.
  assert.equal(await cell(page, 'web-current', 'tests').getAttribute('data-status'), 'unknown');

  const [green, yellow, grey] = await Promise.all([cssColor(page, '--ok-bg'), cssColor(page, '--warn-bg'), cssColor(page, '--neutral-bg')]);
  assert.equal(await computed(cell(page, 'web-current', 'git'), 'backgroundColor'), green);
  assert.equal(await computed(cell(page, 'web-behind', 'git'), 'backgroundColor'), yellow);
  assert.equal(await computed(cell(page, 'web-current', 'tests'), 'backgroundColor'), grey);

  // The mirror counts how far behind: the reason says so, dated.
  const git = cell(page, 'web-behind', 'git');
  await until(async () => /1 commit behind/.test((await git.getAttribute('title')) ?? ''), 'the count of commits behind');
  const reason = (await git.getAttribute('title')) ?? '';
  assert.match(reason, new RegExp(`^git: outdated — 1 commit behind ${FLEET_BRANCH} at ${head.commit.slice(0, 7)}: pull \\(since .+\\)$`));
  assert.equal(await git.getAttribute('aria-label'), `web-behind ${reason}`);

  // Keyboard focus shows the same text as the title, which a browser shows to the mouse only.
  const tooltip = page.getByRole('tooltip');
  await cell(page, 'web-behind', 'agent').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(`document.activeElement.getAttribute('data-compartment')`), 'git');
  // The agent cell's tip may still be up until the page draws the git cell's.
  await expectText(tooltip, reason);
  await page.keyboard.press('Tab');
  // The tip is drawn on the page's next render after the focus moved: waited for, not raced.
  const lockReason = (await cell(page, 'web-behind', 'lock').getAttribute('title')) ?? '';
  await until(async () => (await tooltip.textContent()) === lockReason, 'the tip to follow the focus to the lock cell');
  assert.equal(await tooltip.textContent(), lockReason, 'the tip follows the focus');
  await hostRow(page, 'web-behind').getByRole('checkbox').focus();
  await tooltip.waitFor({ state: 'hidden' });
  assert.deepEqual(fleet.watched.errors, []);
});

test('the summary counts hosts by state, and each part filters the table until it is clicked again', async () => {
  const { page } = fleet.watched;
  const shown = () => page.locator('tbody tr.host').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-host')));
  const part = (filter: string) => page.locator(`.summary-part[data-filter="${filter}"]`);
  await part('current').and(page.locator('[data-count="1"]')).waitFor();
  await part('behind').and(page.locator('[data-count="1"]')).waitFor();
  assert.equal(await part('current').textContent(), '1 current');
  assert.equal(await part('behind').textContent(), '1 behind');
  assert.equal(await part('failing').count(), 0, 'a state no host is in is left out');

  await part('behind').click();
  await until(async () => (await shown()).join() === 'web-behind', 'only the host behind');
  assert.equal(await part('behind').getAttribute('aria-pressed'), 'true');
  await page.getByRole('status').filter({ hasText: 'Showing only behind hosts.' }).waitFor();
  await part('behind').click();
  await until(async () => (await shown()).join() === 'web-behind,web-current', 'every host again');
  assert.equal(await part('behind').getAttribute('aria-pressed'), 'false');

  await part('current').click();
  await until(async () => (await shown()).join() === 'web-current', 'only the current host');
  await page.getByRole('button', { name: 'Show all' }).click();
  await until(async () => (await shown()).length === 2, 'every host after Show all');
  assert.equal(await page.locator('.summary-filter').count(), 0, 'no filter is said to be in use');
});

test('clicking a yellow cell offers what fixes it: Pull for git, then Switch for the system it leaves behind', async () => {
  const { page } = fleet.watched;
  const behind = agentOf.get('web-behind');
  assert.ok(behind);
  await cell(page, 'web-behind', 'git').click();
  const detail = page.getByRole('dialog', { name: 'git of web-behind' });
  await detail.waitFor();
  await detail.getByText(/1 commit behind/).waitFor();
  await detail.getByRole('button', { name: 'Pull', exact: true }).click();
  const pull = await nextCommand(behind);
  assert.equal(pull.command, 'pull');
  await detail.waitFor({ state: 'hidden' });
  await waitStatus(page, 'web-behind', 'git', 'working');

  // The pull brought the checkout to the head; the running system is still the old one.
  behind.send('heartbeat', heartbeatPayload(runs(head, older)));
  finish(behind, pull);
  await waitStatus(page, 'web-behind', 'git', 'ok');
  await waitStatus(page, 'web-behind', 'lock', 'ok');
  await waitStatus(page, 'web-behind', 'system', 'outdated');

  await cell(page, 'web-behind', 'system').click();
  await page.getByRole('dialog', { name: 'system of web-behind' }).getByRole('button', { name: 'Switch…' }).click();
  // The same confirmation as from the Actions menu.
  const confirm = page.getByRole('dialog', { name: 'Switch on web-behind?' });
  await confirm.getByRole('button', { name: 'Switch', exact: true }).click();
  const switched = await nextCommand(behind);
  assert.equal(switched.command, 'switch');
  await waitStatus(page, 'web-behind', 'system', 'working');
  behind.send('heartbeat', heartbeatPayload(runs(head)));
  finish(behind, switched);
  await waitStatus(page, 'web-behind', 'system', 'ok');
  await page.locator('.summary-part[data-filter="current"][data-count="2"]').waitFor();
  assert.deepEqual(fleet.watched.errors, []);
});

test('two agents replacing each other as one host show a warning badge that says what is wrong', async () => {
  const { page } = fleet.watched;
  // Each registration closes the previous agent's socket (4001): four in a minute are a fight.
  for (let i = 0; i < 5; i++) fleet.keep(await connectAgent(fleet.t.wsUrl, 'web-twin', { protocol_version: 1, running: null, ...runs(head) }));
  const badge = hostRow(page, 'web-twin').locator('.badge.agent-conflict');
  await badge.waitFor();
  assert.match((await badge.textContent()) ?? '', /two agents/);
  assert.match((await badge.getAttribute('title')) ?? '', /^Two agents keep replacing each other as this host/);
  assert.deepEqual(fleet.watched.errors, []);
});

test('a push reaches the open page: the new head at the top, and the hosts at the old one turn yellow', async () => {
  const { page } = fleet.watched;
  const pushed = repo.commit('hosts/web: open port 443', '{"nodes": {"nixpkgs": "2025-11-20"}}\n');
  // What a poll or the push webhook does; the page hears of it as desired_update.
  await fleet.t.dashboard.context.hub.parts.desired.refresh('test push');
  const desired = page.locator(`section.desired[data-commit="${pushed.commit}"]`);
  await desired.waitFor();
  assert.equal(await desired.locator('.desired-subject').textContent(), pushed.subject);
  await waitStatus(page, 'web-current', 'git', 'outdated');
  await waitStatus(page, 'web-behind', 'git', 'outdated');
  await waitStatus(page, 'web-current', 'lock', 'ok');
  // Every host ran the old head: all of them are behind now, none current.
  const hosts = await page.locator('tbody tr.host').count();
  await page.locator(`.summary-part[data-filter="behind"][data-count="${hosts}"]`).waitFor();
  assert.equal(await page.locator('.summary-part[data-filter="current"]').count(), 0);
  assert.deepEqual(fleet.watched.errors, []);
});

test('a fleet repository that cannot be read shows git’s reason in red, and no host is green for git', async () => {
  const broken = await startTestDashboard({ NIXFLEET_REPO_URL: `${repo.url}-missing` });
  const own = await openPage(fleet.browser);
  const socket = await startAgent(broken.wsUrl, 'web-lost', { agent_version: '2.1.0', ...runs(head) }, runs(head));
  try {
    await logIn(own.page, broken.url);
    const error = own.page.locator('section.desired .desired-error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /^Could not read the fleet repository: .+/);
    assert.equal(await computed(error, 'color'), await cssColor(own.page, '--bad'));
    await waitStatus(own.page, 'web-lost', 'git', 'error');
    await own.page.locator('.summary-part[data-filter="failing"][data-count="1"]').waitFor();
    assert.deepEqual(own.errors, []);
  } finally {
    await socket.close();
    await own.close();
    await broken.close();
  }
});

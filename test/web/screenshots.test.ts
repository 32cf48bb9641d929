// A fleet as an admin sees it, photographed for the README and as test artifacts: the desired commit
// of a real fleet repository, the table with every kind of host and compartment, a command running
// with its progress, its output, and the event log; then a compartment's details with its fix, the
// queue offered for an offline host and the queued command on its row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { login, sendCommand, startTestDashboard, type TestDashboard } from '../helpers/dashboard.js';
import { heartbeatPayload, type TestSocket } from '../helpers/sockets.js';
import { buildWebClient, DOCS_SCREENSHOT, hostRow, launchChromium, logIn, openPage, screenshot, type WatchedPage } from './helpers/browser.js';
import { createHostToken, finish, nextCommand, sendLines, startAgent, startAgentWithToken } from './helpers/agent-script.js';
import { createFleetRepo, lockHashOf, type FleetCommit, type FleetRepo } from './helpers/fleet-repo.js';

let t: TestDashboard;
let browser: Browser;
let watched: WatchedPage;
let repo: FleetRepo;
const agents = new Map<string, TestSocket>();
/** The fleet repository's history, oldest first: the lock changes once, the head is a plain commit. */
const history: FleetCommit[] = [];
const OLD_LOCK = '{"nodes": {"nixpkgs": "2025-11-01"}}\n';
const NEW_LOCK = '{"nodes": {"nixpkgs": "2025-11-20"}}\n';

before(async () => {
  buildWebClient();
  repo = createFleetRepo();
  history.push(repo.commit('hosts/cirrus: add the desktop', OLD_LOCK));
  history.push(repo.commit('flake: update nixpkgs', NEW_LOCK));
  history.push(repo.commit('hosts/atlas: enable restic backups', NEW_LOCK));
  [t, browser] = await Promise.all([startTestDashboard({ NIXFLEET_OFFLINE_TIMEOUT: '3s', NIXFLEET_REPO_URL: repo.url }), launchChromium()]);
  watched = await openPage(browser, { viewport: { width: 1440, height: 960 } });
  await logIn(watched.page, t.url);
});
after(async () => {
  await Promise.all([...agents.values()].map((a) => a.close()));
  await browser?.close();
  await t?.close();
  repo?.remove();
});

const check = (status: string, message = '') => ({ status, message, checked_at: '2026-11-26T10:00:00Z' });

/**
 * Each host's checkout and running system as indexes into `history` (2 is the head); `lock` is the
 * host's own flake.lock when it differs from its checkout's (a local `nix flake update`).
 */
const FLEET = [
  { hostname: 'atlas', host_type: 'nixos', theme_color: '#4f7cff', location: 'Vienna DC', device_type: 'server', cpu: 23, ram: 48, generation: 'f3a9c21d0e', checkout: 2, system: 1, status: ['ok', 'ok', 'outdated', 'ok'] },
  { hostname: 'borealis', host_type: 'macos', theme_color: '#e0732f', location: 'home office', device_type: 'laptop', cpu: 8, ram: 71, generation: 'f3a9c21d0e', os_version: 'macOS 15.1', checkout: 2, system: 2, status: ['ok', 'ok', 'ok', 'ok'] },
  { hostname: 'cirrus', host_type: 'nixos', theme_color: '#2fae6a', location: 'home', device_type: 'desktop', cpu: 64, ram: 33, generation: '9b1e77a4c2', checkout: 1, system: 0, status: ['outdated', 'ok', 'outdated', 'error'] },
  { hostname: 'dynamo', host_type: 'nixos', theme_color: '#a05cd6', location: 'Vienna DC', device_type: 'server', cpu: 3, ram: 12, generation: 'f3a9c21d0e', checkout: 2, system: 2, status: ['ok', 'ok', 'ok', 'ok'] },
  { hostname: 'eos', host_type: 'nixos', theme_color: '#d6457a', location: 'garage', device_type: 'server', cpu: 41, ram: 58, generation: '77c0e5f1b3', checkout: 2, system: 2, lock: OLD_LOCK, status: ['ok', 'outdated', 'ok', 'unknown'], sharedToken: true },
] as const;

function facts(host: (typeof FLEET)[number]): Record<string, string> {
  const checkout = history[host.checkout];
  const system = history[host.system];
  assert.ok(checkout && system);
  return { repo_commit: checkout.commit, system_commit: system.commit, lock_hash: 'lock' in host ? lockHashOf(host.lock) : checkout.lockHash };
}

const SWITCH_OUTPUT: [stream: 'stdout' | 'stderr', line: string][] = [
  ['stdout', 'Already up to date.'],
  ['stdout', 'HEAD is now at f3a9c21 hosts/atlas: enable restic backups'],
  ['stdout', 'building the system configuration...'],
  ['stderr', "warning: Git tree '/etc/nixos' is dirty"],
  ['stdout', 'these 7 derivations will be built:'],
  ['stdout', '  /nix/store/2g6y…-restic-backups-daily.service.drv'],
  ['stdout', '  /nix/store/8kq1…-unit-restic-backups-daily.timer.drv'],
  ['stdout', '  /nix/store/c0vx…-system-units.drv'],
  ['stdout', '  /nix/store/hn5d…-etc.drv'],
  ['stdout', '  /nix/store/p3zf…-nixos-system-atlas-25.05.20251120.drv'],
  ['stdout', "building '/nix/store/2g6y…-restic-backups-daily.service.drv'..."],
  ['stdout', "building '/nix/store/8kq1…-unit-restic-backups-daily.timer.drv'..."],
  ['stdout', "building '/nix/store/c0vx…-system-units.drv'..."],
  ['stderr', 'evaluation warning: services.restic.backups.daily.passwordFile is world-readable'],
  ['stdout', "building '/nix/store/hn5d…-etc.drv'..."],
];

test('screenshots of the table, a running command with its output, and the whole page (light and dark)', async () => {
  const { page } = watched;
  await page.locator(`section.desired[data-commit="${history[2]?.commit}"]`).waitFor();
  const session = await login(t.url);
  for (const host of FLEET) {
    // As an admin sets it up: each host with its own agent token, one still on the shared one (marked).
    const connect: typeof startAgent = 'sharedToken' in host ? startAgent : async (wsUrl, ...rest) => startAgentWithToken(wsUrl, await createHostToken(t.url, session, host.hostname), ...rest);
    const agent = await connect(
      t.wsUrl,
      host.hostname,
      {
        host_type: host.host_type,
        theme_color: host.theme_color,
        location: host.location,
        device_type: host.device_type,
        generation: host.generation,
        ...facts(host),
        ...('os_version' in host ? { os_version: host.os_version } : {}),
      },
      heartbeatPayload({
        generation: host.generation,
        metrics: { cpu: host.cpu, ram: host.ram, swap: 0, load: 0.3 },
        update_status: { git: check(host.status[0]), lock: check(host.status[1]), system: check(host.status[2]), tests: check(host.status[3]) },
        ...facts(host),
      }),
    );
    agents.set(host.hostname, agent);
    await hostRow(page, host.hostname).waitFor();
  }
  await hostRow(page, 'eos').locator('.badge.shared-token').waitFor();
  for (const [hostname, command, outcome] of [['borealis', 'switch', 'ok'], ['cirrus', 'test', 'error']] as const) {
    await sendCommand(t.url, session, hostname, command);
    const agent = agents.get(hostname);
    assert.ok(agent);
    finish(agent, await nextCommand(agent), outcome);
  }

  const atlas = agents.get('atlas');
  assert.ok(atlas);
  await page.getByRole('button', { name: 'Actions for atlas' }).click();
  await page.getByRole('menuitem', { name: 'Pull + Switch…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Pull + Switch', exact: true }).click();
  const running = await nextCommand(atlas);
  sendLines(atlas, running.command_id, SWITCH_OUTPUT.map(([stream, line], seq) => ({ seq, stream, line })));
  atlas.send('operation_progress', { progress: { pull: { current: 1, total: 1, status: 'done' }, system: { current: 3, total: 7, status: 'running' } } });
  await hostRow(page, 'atlas').getByText('system 3/7').waitFor();
  await page.locator(`.line-count[data-count="${SWITCH_OUTPUT.length}"]`).waitFor();

  agents.get('eos')?.ws.terminate();
  await hostRow(page, 'eos').locator('.badge.presence-offline').waitFor();
  agents.get('dynamo')?.ws.terminate();
  await hostRow(page, 'dynamo').locator('.badge.presence-reconnecting').waitFor();
  await page.mouse.move(0, 0);

  await screenshot(page, 'dashboard.png', DOCS_SCREENSHOT);
  await screenshot(page.locator('section.fleet'), 'fleet-table.png');
  await screenshot(page.locator('section.output'), 'output-panel.png');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'dashboard-dark.png');

  // The details of a yellow cell with its fix, and a command queued for the offline host.
  await page.emulateMedia({ colorScheme: 'light' });
  await hostRow(page, 'cirrus').locator('[data-compartment="git"]').click();
  const detail = page.getByRole('dialog', { name: 'git of cirrus' });
  await detail.getByRole('button', { name: 'Pull', exact: true }).waitFor();
  await screenshot(page.locator('section.fleet'), 'compartment-detail.png');
  await page.keyboard.press('Escape');
  await detail.waitFor({ state: 'hidden' });
  await page.getByRole('button', { name: 'Actions for eos' }).click();
  await page.getByRole('menuitem', { name: 'Pull', exact: true }).click();
  const offer = page.getByRole('dialog', { name: 'Queue Pull for eos?' });
  await offer.getByRole('button', { name: 'Queue', exact: true }).waitFor();
  await screenshot(page, 'queue-offer.png');
  await offer.getByRole('button', { name: 'Queue', exact: true }).click();
  await hostRow(page, 'eos').locator('.queued-command .expiry').waitFor();
  await screenshot(hostRow(page, 'eos'), 'queued-row.png');
  assert.deepEqual(watched.errors, []);
});

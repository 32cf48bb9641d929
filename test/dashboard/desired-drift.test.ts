// The dashboard judges every host against the fleet repository's head: a push turns a host's git
// compartment yellow for browsers (by polling, and at once on a signed webhook), a webhook without a
// valid signature changes nothing, and a repository that cannot be read is an error, never green.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { login, startTestDashboard, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, eventually, type Message, type TestSocket } from '../helpers/sockets.js';
import { createFleetRepo, sha256Hex, type FleetRepo } from './desired/git-fixture.js';

const SECRET = 'webhook-secret-for-tests';
const LOCK = '{"nodes":{},"root":"root","version":7}\n';
/** Generous: a fetch of a local repository takes a fraction of a second, but this machine is shared. */
const ARRIVAL_MS = 15_000;

interface Compartment {
  status: string;
  message: string;
}
type HostWire = { id: string; compartments: Record<'agent' | 'git' | 'lock' | 'system' | 'tests', Compartment> };

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function fleetWith(repo: FleetRepo, env: Record<string, string>): Promise<{ t: TestDashboard; browser: TestSocket }> {
  const t = await startTestDashboard({ NIXFLEET_REPO_URL: repo.originUrl, NIXFLEET_WEBHOOK_SECRET: SECRET, ...env });
  cleanups.push(() => t.close());
  const browser = await connectBrowser(t.wsUrl, await login(t.url));
  cleanups.push(() => browser.close().then(() => undefined));
  return { t, browser };
}

type Desired = { commit: string; error: string | null };

/** The desired state as the browser knows it now: from its init, or the latest desired_update. */
function desiredOf(browser: TestSocket): Desired | undefined {
  const carrying = browser.messages.filter((m) => m.type === 'init' || m.type === 'desired_update');
  return carrying[carrying.length - 1]?.payload.desired as Desired | undefined;
}

/** Waits until the browser's desired state passes `check` (the first read may finish before it connected). */
const desiredSeen = (browser: TestSocket, check: (d: Desired) => boolean) =>
  browser.until(() => {
    const desired = desiredOf(browser);
    return desired && check(desired) ? desired : undefined;
  }, ARRIVAL_MS, 'the desired state');

const hostWith = (id: string, check: (host: HostWire) => boolean) => (m: Message) =>
  m.type === 'host_update' && (m.payload.host as HostWire).id === id && check(m.payload.host as HostWire);

function gitHubPush(t: TestDashboard, body: string, signature: string | null): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': 'push' };
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  return fetch(`${t.url}/api/hooks/git`, { method: 'POST', headers, body });
}

const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

test('a push turns a current host git-outdated for browsers by polling, with the count behind', async () => {
  const repo = createFleetRepo();
  cleanups.push(() => repo.remove());
  const first = repo.commit('first', { 'flake.lock': LOCK });
  const { t, browser } = await fleetWith(repo, { NIXFLEET_REPO_POLL: '500ms' });
  await desiredSeen(browser, (d) => d.commit === first);
  const agent = await connectAgent(t.wsUrl, 'web-01', { protocol_version: 1, repo_commit: first, system_commit: first, lock_hash: sha256Hex(LOCK), agent_version: '0.2.0' });
  cleanups.push(() => agent.close().then(() => undefined));
  const current = await browser.next(hostWith('web-01', (h) => h.compartments.git.status === 'ok'));
  const host = current.payload.host as HostWire;
  assert.equal(host.compartments.lock.status, 'ok');
  assert.equal(host.compartments.system.status, 'ok');

  repo.commit('second');
  const third = repo.commit('third');
  await desiredSeen(browser, (d) => d.commit === third);
  const behind = await browser.next(hostWith('web-01', (h) => /^2 commits behind main/.test(h.compartments.git.message)), ARRIVAL_MS);
  assert.equal((behind.payload.host as HostWire).compartments.git.status, 'outdated');
  const api = (await (await fetch(`${t.url}/api/desired`, { headers: { cookie: (await login(t.url)).cookie } })).json()) as Record<string, unknown>;
  assert.equal(api.commit, third);
  assert.equal(api.subject, 'third');
  assert.equal(api.lock_hash, sha256Hex(LOCK));
  assert.equal(api.error, null);
});

test('a signed webhook makes the dashboard fetch at once; unsigned and wrongly signed ones get 401 and change nothing', async (context) => {
  const repo = createFleetRepo();
  cleanups.push(() => repo.remove());
  const first = repo.commit('first', { 'flake.lock': LOCK });
  // Polling is out of the picture: only the webhook can make the dashboard look again.
  const { t, browser } = await fleetWith(repo, { NIXFLEET_REPO_POLL: '1h' });
  await desiredSeen(browser, (d) => d.commit === first);
  const agent = await connectAgent(t.wsUrl, 'db-01', { protocol_version: 1, repo_commit: first, system_commit: first, lock_hash: sha256Hex(LOCK) });
  cleanups.push(() => agent.close().then(() => undefined));
  await browser.next(hostWith('db-01', (h) => h.compartments.git.status === 'ok'));

  const second = repo.commit('second');
  const body = JSON.stringify({ ref: 'refs/heads/main', after: second });
  const readsBefore = t.dashboard.context.hub.parts.desired.reads;
  for (const signature of [null, sign(body, 'not-the-secret'), sign(`${body} `), 'sha256=00']) {
    const refused = await gitHubPush(t, body, signature);
    assert.equal(refused.status, 401, `signature ${signature}`);
    assert.equal(((await refused.json()) as { error: string }).error, 'unauthorized');
  }
  await browser.barrier();
  assert.equal(t.dashboard.context.hub.parts.desired.reads, readsBefore, 'a refused webhook made the dashboard fetch');
  assert.equal(browser.ofType('desired_update').filter((m) => (m.payload.desired as { commit: string }).commit === second).length, 0);

  const sentAt = performance.now();
  const accepted = await gitHubPush(t, body, sign(body));
  assert.equal(accepted.status, 202);
  await browser.next(hostWith('db-01', (h) => h.compartments.git.status === 'outdated'), ARRIVAL_MS);
  const tookMs = performance.now() - sentAt;
  context.diagnostic(`webhook to outdated host: ${tookMs.toFixed(0)} ms`);
  assert.equal(t.dashboard.context.hub.parts.desired.current().commit, second);
});

test('a repository that cannot be read is an error for the git and lock compartments, never ok', async () => {
  const repo = createFleetRepo();
  cleanups.push(() => repo.remove());
  const missing = `${repo.root}/no-such-repo.git`;
  const t = await startTestDashboard({ NIXFLEET_REPO_URL: missing, NIXFLEET_REPO_POLL: '500ms' });
  cleanups.push(() => t.close());
  const session = await login(t.url);
  const browser = await connectBrowser(t.wsUrl, session);
  cleanups.push(() => browser.close().then(() => undefined));
  const failed = await desiredSeen(browser, (d) => d.error !== null);
  assert.match(String(failed.error), /no-such-repo|does not appear|not a git repository|not found/i);
  const agent = await connectAgent(t.wsUrl, 'lost-01', { protocol_version: 1, repo_commit: 'a'.repeat(40), system_commit: 'a'.repeat(40), lock_hash: sha256Hex(LOCK) });
  cleanups.push(() => agent.close().then(() => undefined));
  const judged = await browser.next(hostWith('lost-01', (h) => h.compartments.git.status === 'error'));
  const host = judged.payload.host as HostWire;
  assert.match(host.compartments.git.message, /the desired state is unavailable/);
  assert.equal(host.compartments.lock.status, 'error');
  // Two more failed polls later it has never been shown green.
  const reads = t.dashboard.context.hub.parts.desired.reads;
  await eventually(() => (t.dashboard.context.hub.parts.desired.reads >= reads + 2 ? true : undefined), ARRIVAL_MS, 'two more polls');
  await browser.barrier();
  const hosts = (await (await fetch(`${t.url}/api/hosts`, { headers: { cookie: session.cookie } })).json()) as { hosts: HostWire[] };
  assert.equal(hosts.hosts.find((h) => h.id === 'lost-01')?.compartments.git.status, 'error');
  const everGreen = browser.messages.some(hostWith('lost-01', (h) => h.compartments.git.status === 'ok' || h.compartments.lock.status === 'ok'));
  assert.equal(everGreen, false);
});

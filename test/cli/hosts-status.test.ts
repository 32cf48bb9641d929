// nixfleet hosts and nixfleet status against a real dashboard that follows a real fleet repository:
// the hosts as the API has them (JSON) or as a table with compartments in words, filtered by tag; the
// dashboard's health, the desired commit, and the hosts counted as the web summary counts them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectBrowser, type Message, type TestSocket } from '../helpers/sockets.js';
import { sendCommand } from '../helpers/dashboard.js';
import { createFleetRepo, sha256Hex, type FleetRepo } from '../dashboard/desired/git-fixture.js';
import { CliDashboard, fakeAgent, runCli, type FakeAgent } from './support/cli.js';

const LOCK = '{"nodes":{},"root":"root","version":7}\n';
/** A fetch of a local repository is quick, but this machine is shared. */
const ARRIVAL_MS = 20_000;

let repo: FleetRepo;
let dashboard: CliDashboard;
let browser: TestSocket;
let read: Record<string, string>;
let first: string;
let head: string;
const agents: FakeAgent[] = [];

type HostWire = { id: string; compartments: Record<string, { status: string }> };
const compartment = (id: string, name: string, status: string) => (m: Message) => {
  const host = m.payload.host as HostWire | undefined;
  return m.type === 'host_update' && host?.id === id && host.compartments[name]?.status === status;
};

before(async () => {
  repo = createFleetRepo();
  first = repo.commit('first', { 'flake.lock': LOCK });
  head = repo.commit('second');
  dashboard = await CliDashboard.start({ NIXFLEET_REPO_URL: repo.originUrl });
  browser = await connectBrowser(dashboard.t.wsUrl, dashboard.session);
  read = await dashboard.env('read');
  const at = (commit: string, tags: string[]) => ({ repo_commit: commit, system_commit: commit, lock_hash: sha256Hex(LOCK), tags });
  agents.push(await fakeAgent(dashboard.t.wsUrl, 'st-cur', () => ({ lines: [] }), at(head, ['web'])));
  agents.push(await fakeAgent(dashboard.t.wsUrl, 'st-behind', () => ({ lines: [] }), at(first, [])));
  agents.push(await fakeAgent(dashboard.t.wsUrl, 'st-fail', () => ({ lines: ['error: builder failed'], status: 'error', message: 'nixos-rebuild exited with code 1' }), at(head, [])));
  assert.equal((await dashboard.api('POST', '/api/hosts', { hostname: 'st-new' })).status, 201);
  await browser.until(() => browser.messages.find(compartment('st-cur', 'git', 'ok')), ARRIVAL_MS, 'st-cur current');
  await browser.until(() => browser.messages.find(compartment('st-behind', 'git', 'outdated')), ARRIVAL_MS, 'st-behind behind');
  assert.equal((await sendCommand(dashboard.t.url, dashboard.session, 'st-fail', 'switch')).status, 202);
  await browser.until(() => browser.messages.find(compartment('st-fail', 'system', 'error')), ARRIVAL_MS, 'st-fail failing');
});
after(async () => {
  for (const agent of agents) await agent.close();
  await browser.close();
  await dashboard.close();
  repo.remove();
});

test('hosts --json prints the hosts as GET /api/hosts has them; --tag keeps the hosts with that tag', async () => {
  const [all, tagged] = await Promise.all([runCli(['hosts', '--json'], read), runCli(['hosts', '--json', '--tag', 'web'], read)]);
  assert.equal(all.code, 0, all.stderr);
  const printed = JSON.parse(all.stdout) as HostWire[];
  const api = (await dashboard.api('GET', '/api/hosts')).body.hosts as HostWire[];
  assert.deepEqual(printed.map((h) => h.id), ['st-behind', 'st-cur', 'st-fail', 'st-new']);
  assert.deepEqual(printed.map((h) => Object.keys(h).sort()), api.map((h) => Object.keys(h).sort()), 'every field of the record');
  assert.deepEqual(printed.map((h) => h.compartments), api.map((h) => h.compartments));
  assert.equal(tagged.code, 0, tagged.stderr);
  assert.deepEqual((JSON.parse(tagged.stdout) as HostWire[]).map((h) => h.id), ['st-cur']);
});

test('hosts prints a table: status, connection, agent version, compartments as words, running command', async () => {
  const run = await runCli(['hosts'], read);
  assert.equal(run.code, 0, run.stderr);
  const [header, ...rows] = run.stdout.trimEnd().split('\n');
  assert.match(header ?? '', /^HOST +STATUS +CONNECTED +AGENT +COMPARTMENTS +RUNNING$/);
  assert.equal(rows.length, 4);
  assert.match(run.stdout, /^st-cur +online +yes +2\.1\.0 +agent:ok git:ok lock:ok system:ok tests:unknown +-$/m);
  assert.match(run.stdout, /^st-behind +online +yes +2\.1\.0 +agent:ok git:outdated /m);
  assert.match(run.stdout, /^st-fail +online +yes +2\.1\.0 +agent:ok git:ok lock:ok system:error /m);
  assert.match(run.stdout, /^st-new +offline +no +- +agent:unknown /m);
});

test('status: the dashboard is healthy, the desired commit, and hosts counted current / behind / failing / offline', async () => {
  const [text, json] = await Promise.all([runCli(['status'], read), runCli(['status', '--json'], read)]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^dashboard +${dashboard.t.url}: ok \\(instance \\S+, sqlite\\)$`, 'm'));
  assert.match(text.stdout, new RegExp(`^desired +main at ${head.slice(0, 7)} "second"$`, 'm'));
  assert.match(text.stdout, /^hosts +4 hosts: 1 current, 1 behind, 1 failing, 0 working, 1 unknown; 1 offline$/m);
  assert.equal(json.code, 0, json.stderr);
  const status = JSON.parse(json.stdout) as { health: { status: string }; desired: { commit: string }; hosts: Record<string, number> };
  assert.equal(status.health.status, 'ok');
  assert.equal(status.desired.commit, head);
  assert.deepEqual(status.hosts, { total: 4, current: 1, behind: 1, failing: 1, working: 0, unknown: 1, offline: 1 });
});

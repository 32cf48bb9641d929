// A real agent process against a real fleet repository that the dashboard tracks: the compartments the
// dashboard shows follow what the host does (pull, switch, test), and survive restarts of the agent and
// of the dashboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/dashboard.js';
import { TestFleet, waitFor } from './support/fleet.js';
import { killAllAgents, type AgentProcess } from './support/agent-process.js';
import { FleetRepo } from './support/fleet-repo.js';
import type { CompartmentName, CompartmentStatus } from '../../src/protocol/model.js';

const HOST = 'sys-01';
let fleet: TestFleet;
let repo: FleetRepo;
let agent: AgentProcess;
let env: Record<string, string>;

before(async () => {
  repo = new FleetRepo(tempDir('nixfleet-compartments-'), HOST);
  fleet = await TestFleet.start({ NIXFLEET_REPO_URL: repo.origin, NIXFLEET_REPO_POLL: '500ms' });
  env = fleet.agentEnv(HOST, repo.hostClone);
  agent = await fleet.startAgent(env);
});
after(async () => {
  await killAllAgents();
  await fleet.close();
});

type Cells = Record<CompartmentName, CompartmentStatus>;

/** The host's compartments as the API gives them to a browser or script. */
async function cells(): Promise<Cells & { messages: Record<CompartmentName, string> }> {
  const response = await fetch(`${fleet.t.url}/api/hosts`, { headers: { cookie: fleet.session.cookie } });
  const { hosts } = (await response.json()) as { hosts: { id: string; compartments: Record<CompartmentName, { status: CompartmentStatus; message: string }> }[] };
  const compartments = hosts.find((h) => h.id === HOST)?.compartments;
  if (!compartments) throw new Error(`${HOST} has no compartments`);
  const entries = Object.entries(compartments) as [CompartmentName, { status: CompartmentStatus; message: string }][];
  return {
    ...(Object.fromEntries(entries.map(([name, c]) => [name, c.status])) as Cells),
    messages: Object.fromEntries(entries.map(([name, c]) => [name, c.message])) as Record<CompartmentName, string>,
  };
}

/** Polls the API until the named cells have the wanted statuses (and messages, when given). */
async function cellsBecome(
  wanted: Partial<Cells>,
  what: string,
  messages: Partial<Record<CompartmentName, RegExp>> = {},
): Promise<Cells & { messages: Record<CompartmentName, string> }> {
  return waitFor(async () => {
    const now = await cells();
    const statuses = Object.entries(wanted).every(([name, status]) => now[name as CompartmentName] === status);
    const texts = Object.entries(messages).every(([name, pattern]) => pattern.test(now.messages[name as CompartmentName]));
    return statuses && texts ? now : undefined;
  }, what);
}

test('pull makes git ok and system outdated, switch makes system ok, test sets tests, and restarts keep every cell', async () => {
  // Before any switch the dashboard cannot know what the system runs.
  await cellsBecome({ git: 'ok', lock: 'ok', system: 'unknown', tests: 'unknown', agent: 'ok' }, 'a freshly cloned host');
  assert.equal((await fleet.ended(await fleet.send(HOST, 'switch'))).status, 'succeeded');
  await cellsBecome({ system: 'ok' }, 'the first switch to record the system');

  repo.commit('web: add a test', { [`hosts/${HOST}/tests/ping.sh`]: '#!/bin/sh\necho pong\n' });
  // The count behind is worked out in the background: first "outdated", then how far.
  await cellsBecome({ git: 'outdated' }, 'the push to reach the dashboard', { git: /^1 commit behind main/ });

  assert.equal((await fleet.ended(await fleet.send(HOST, 'pull'))).status, 'succeeded');
  await cellsBecome({ git: 'ok', system: 'outdated' }, 'the pull', { system: /^switch pending/ });

  assert.equal((await fleet.ended(await fleet.send(HOST, 'switch'))).status, 'succeeded');
  await cellsBecome({ system: 'ok' }, 'the switch');

  assert.equal((await fleet.ended(await fleet.send(HOST, 'test'))).status, 'succeeded');
  await cellsBecome({ tests: 'ok' }, 'the test run', { tests: /1 test passed/ });

  const before = await cells();
  assert.deepEqual({ ...before, messages: undefined }, { agent: 'ok', git: 'ok', lock: 'ok', system: 'ok', tests: 'ok', messages: undefined });

  // The agent restarts (as after a switch): the same cells once it is back.
  await agent.kill('SIGTERM');
  await waitFor(() => fleet.host(HOST)?.connected === false || undefined, 'the agent to go');
  agent = await fleet.startAgent(env);
  await fleet.ended(await fleet.send(HOST, 'check-version'));
  assert.deepEqual(await cells(), before);

  // The dashboard restarts: it remembers every cell, and the agent's report agrees.
  await fleet.restartDashboard(0);
  assert.deepEqual(await cells(), before, 'right after the restart, from the database');
  await waitFor(() => fleet.host(HOST)?.connected, 'the agent to come back');
  await fleet.ended(await fleet.send(HOST, 'check-version'));
  assert.deepEqual(await cells(), before, 'after the agent registered again');
});

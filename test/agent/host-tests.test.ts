// `test` when the host's tests are missing or cannot run: the agent says so (status `warning`, which
// the dashboard counts as succeeded, with a message that names what happened) instead of reporting a
// success for nothing. The agent's own status frames are read through a relay (FrameTap).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TestFleet, waitFor } from './support/fleet.js';
import { killAllAgents } from './support/agent-process.js';
import { FrameTap } from './support/frame-tap.js';
import type { FleetRepo } from './support/fleet-repo.js';
import type { CommandRecord } from '../../src/dashboard/store/store.js';

const HOST = 'tests-01';
let fleet: TestFleet;
let tap: FrameTap;
let repo: FleetRepo;

before(async () => {
  fleet = await TestFleet.start();
  tap = await FrameTap.start(fleet.t.wsUrl);
  repo = fleet.repo(HOST);
  await fleet.startAgent(fleet.agentEnv(HOST, repo.hostClone, { NIXFLEET_URL: tap.wsUrl, NIXFLEET_REFRESH_INTERVAL: 'off' }));
});
after(async () => {
  await killAllAgents();
  await tap.close();
  await fleet.close();
});

/** Runs `test`; returns the dashboard's record and the status the agent itself sent. */
async function runTests(): Promise<{ record: CommandRecord; agentStatus: string; output: string[] }> {
  const id = await fleet.send(HOST, 'test');
  const record = await fleet.ended(id);
  const status = await waitFor(() => tap.of(HOST, 'status').find((f) => f.payload.command_id === id), 'the agent\'s status');
  const output = (await fleet.output(id)).map((l) => l.line);
  return { record, agentStatus: String(status.payload.status), output };
}

test('a host with no tests reports "no tests" as a warning, not a success', async () => {
  const { record, agentStatus } = await runTests();
  assert.equal(agentStatus, 'warning');
  assert.equal(record.status, 'succeeded', 'the dashboard counts a warning as succeeded');
  assert.equal(record.message, `no tests in hosts/${HOST}/tests`);
});

test('a test script that is not executable is skipped by name, in the output and the status; the others run', async () => {
  repo.commit('a test', { [`hosts/${HOST}/tests/01-boots.sh`]: '#!/bin/sh\necho boots ok\n' });
  assert.equal((await fleet.ended(await fleet.send(HOST, 'pull'))).status, 'succeeded');
  const testsDir = path.join(repo.hostClone, 'hosts', HOST, 'tests');
  fs.writeFileSync(path.join(testsDir, '02-web.sh'), '#!/bin/sh\necho never runs\n', { mode: 0o644 });

  const { record, agentStatus, output } = await runTests();
  assert.equal(agentStatus, 'warning');
  assert.equal(record.message, '1 test passed; skipped (not executable): 02-web.sh');
  assert.ok(output.includes('[nixfleet-agent] skipped (not executable): 02-web.sh'), output.join('\n'));
  assert.ok(output.includes('boots ok'));
  assert.ok(!output.includes('never runs'));
});

test('a failure is still a failure when a script was skipped too; with none executable, nothing ran', async () => {
  const testsDir = path.join(repo.hostClone, 'hosts', HOST, 'tests');
  fs.writeFileSync(path.join(testsDir, '03-disk.sh'), '#!/bin/sh\necho "disk full" >&2\nexit 1\n', { mode: 0o755 });
  const failing = await runTests();
  assert.equal(failing.agentStatus, 'error');
  assert.equal(failing.record.status, 'failed');
  assert.equal(failing.record.message, '1 of 2 tests failed: 03-disk.sh; skipped (not executable): 02-web.sh');

  for (const name of ['01-boots.sh', '03-disk.sh']) fs.chmodSync(path.join(testsDir, name), 0o644);
  const none = await runTests();
  assert.equal(none.agentStatus, 'warning');
  assert.equal(none.record.message, `no executable tests in hosts/${HOST}/tests; skipped (not executable): 01-boots.sh, 02-web.sh, 03-disk.sh`);
});

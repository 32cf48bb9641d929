// The agent compartment compares each host's nixfleet-agent with the newest the fleet runs now: the
// newest of the hosts there are, so a host that goes back to an older agent, or is removed, no longer
// sets it; and a pre-release comes before its release.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, startTestDashboard, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, eventually, type TestSocket } from '../helpers/sockets.js';
import { compareVersions } from '../../src/dashboard/desired/compartments.js';

const sockets: TestSocket[] = [];
let t: TestDashboard | undefined;
after(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await t?.close();
});

async function agentRunning(hostname: string, version: string): Promise<TestSocket> {
  const socket = await connectAgent((t as TestDashboard).wsUrl, hostname, { protocol_version: 1, running: null, agent_version: version });
  sockets.push(socket);
  return socket;
}

const agentCell = (hostId: string) => (t as TestDashboard).dashboard.context.hub.parts.fleet.get(hostId)?.record.compartments?.agent;
const agentCellIs = (hostId: string, status: string) => eventually(() => (agentCell(hostId)?.status === status ? agentCell(hostId) : undefined), 15_000, `${hostId}'s agent ${status}`);

test('the newest agent version is of the hosts there are now: one that goes back or is removed no longer sets it', async () => {
  t = await startTestDashboard();
  const session = await login(t.url);
  await agentRunning('ver-old', '0.2.0');
  const newer = await agentRunning('ver-new', '0.3.0');
  assert.match((await agentCellIs('ver-old', 'outdated'))?.message ?? '', /nixfleet-agent 0\.2\.0; the fleet runs 0\.3\.0/);

  // The newer agent goes back to 0.2.0 (it re-registers, as after a downgrade): the fleet runs 0.2.0.
  newer.ws.terminate();
  await agentRunning('ver-new', '0.2.0');
  await agentCellIs('ver-old', 'ok');

  // A host with a newer agent comes and is removed again.
  const passing = await agentRunning('ver-passing', '0.4.0');
  await agentCellIs('ver-old', 'outdated');
  passing.ws.terminate();
  const removed = await fetch(`${t.url}/api/hosts/ver-passing?force=true`, { method: 'DELETE', headers: { cookie: session.cookie, 'x-csrf-token': session.csrf } });
  assert.equal(removed.status, 204);
  await agentCellIs('ver-old', 'ok');

  // A release candidate of the next version is older than nothing released.
  await agentRunning('ver-rc', '0.2.0-rc.1');
  await agentCellIs('ver-rc', 'outdated');
  assert.equal(agentCell('ver-old')?.status, 'ok');
});

test('versions compare as semantic versions: numbers by number, a pre-release before its release, build metadata ignored', () => {
  assert.equal(compareVersions('0.2.0-rc.1', '0.2.0'), -1);
  assert.equal(compareVersions('0.2.0', '0.2.0-rc.1'), 1);
  assert.equal(compareVersions('0.2.0-rc.2', '0.2.0-rc.10'), -1);
  assert.equal(compareVersions('0.2.0-alpha', '0.2.0-beta'), -1);
  assert.equal(compareVersions('1.0.0+build.5', '1.0.0'), 0);
  assert.equal(compareVersions('0.10.0', '0.9.9'), 1);
  assert.equal(compareVersions('1.0', '1.0.0'), 0);
  assert.equal(compareVersions('v1.2.3', '1.2.4'), -1);
});

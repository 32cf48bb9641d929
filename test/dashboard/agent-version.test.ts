// The agent compartment compares each host's nixfleet-agent with the newest the fleet runs now: the
// newest of the hosts there are, so a host that goes back to an older agent, or is removed, no longer
// sets it; a pre-release comes before its release, and `unknown` is no version.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, startTestDashboard, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, eventually, type TestSocket } from '../helpers/sockets.js';

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

  // A release candidate of the next version is older than nothing released, and an agent that
  // cannot tell its version sets no target.
  await agentRunning('ver-rc', '0.2.0-rc.1');
  await agentRunning('ver-unknown', 'unknown');
  await agentCellIs('ver-rc', 'outdated');
  assert.equal(agentCell('ver-old')?.status, 'ok');
});

// The instance that keeps the fleet is killed (SIGKILL) while a real agent, connected to it through a
// load balancer, runs a switch: another instance takes over, the agent comes back to it, the switch
// is finished rather than lost or run again, its output is complete and stored once, and the host is
// never shown offline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startClusterAgent, TestCluster } from '../../helpers/cluster.js';
import { login, sendCommand } from '../../helpers/dashboard.js';
import { connectBrowser, type TestSocket } from '../../helpers/sockets.js';
import { TcpBalancer } from '../../helpers/tcp-balancer.js';

const WAIT_MS = 30_000;
const LINES = 60;

function statusesOf(browser: TestSocket, hostId: string): string[] {
  return browser.messages.flatMap((m) => {
    if (m.type === 'init') return (m.payload.hosts as { id: string; status: string }[]).filter((h) => h.id === hostId).map((h) => h.status);
    if (m.type === 'host_update' && (m.payload.host as { id: string }).id === hostId) return [(m.payload.host as { status: string }).status];
    return [];
  });
}

test('kill -9 of the leader mid-switch: another instance takes the fleet over and the switch ends once', async (t) => {
  const cluster = await TestCluster.create(t, { NIXFLEET_OFFLINE_TIMEOUT: '60s' });
  if (!cluster) return;
  const [a, b] = await cluster.startPair();
  const balancer = await TcpBalancer.start([new URL(a.url).port, new URL(b.url).port].map(Number));
  t.after(() => balancer.close());

  const { tools } = startClusterAgent(t, `ws://127.0.0.1:${balancer.port}/ws`, 'web-1');
  // A switch that takes a few seconds, printing all along.
  tools.set('nixos-rebuild', { lines: LINES, pauseEvery: 2, pauseS: 0.1 });

  const session = await login(b.url);
  const browser = await connectBrowser(b.wsUrl, session);
  t.after(() => browser.close());
  await browser.next((m) => m.type === 'host_update' && (m.payload.host as { id: string; connected: boolean }).id === 'web-1', WAIT_MS);
  const metrics = await (await fetch(`${a.url}/metrics`, { headers: { cookie: session.cookie } })).text();
  assert.match(metrics, /nixfleet_cluster_sockets\{kind="agent",instance="a"\} 1/, 'the agent is on the leader, behind the balancer');

  const sent = await sendCommand(b.url, session, 'web-1', 'switch');
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const id = String(sent.body.command_id);
  // Some output has arrived: the switch runs.
  await browser.next((m) => m.type === 'command_output' && m.payload.command_id === id && (m.payload.lines as unknown[]).length > 0, WAIT_MS);
  const beforeKill = browser.messages.filter((m) => m.type === 'command_output' && m.payload.command_id === id).flatMap((m) => m.payload.lines as unknown[]).length;
  await a.kill('SIGKILL');
  assert.ok(beforeKill < LINES, `killed mid-switch (${beforeKill} of ${LINES} lines had arrived)`);

  await cluster.waitForRole(b, 'leader', WAIT_MS);
  await browser.next((m) => m.type === 'command_update' && (m.payload.command as { id: string; status: string }).id === id && (m.payload.command as { status: string }).status !== 'running', WAIT_MS);
  const response = await fetch(`${b.url}/api/commands/${id}/output?limit=100000`, { headers: { cookie: session.cookie } });
  assert.equal(response.status, 200);
  const stored = ((await response.json()) as { lines: { seq: number; line: string }[] }).lines;
  const expected = Array.from({ length: LINES }, (_, i) => `line ${i + 1}`);
  assert.deepEqual(
    stored.map((l) => l.line).filter((line) => line.startsWith('line ')),
    expected,
    'every line once, in order',
  );
  assert.deepEqual(stored.map((l) => l.seq), stored.map((_, i) => i), 'numbered densely: stored once');
  assert.equal(tools.calls().filter((call) => call.startsWith('nixos-rebuild')).length, 1, 'the switch ran once');
  assert.ok(!statusesOf(browser, 'web-1').includes('offline'), `never shown offline: ${statusesOf(browser, 'web-1').join(', ')}`);
  const final = browser.messages.filter((m) => m.type === 'command_update' && (m.payload.command as { id: string }).id === id).at(-1);
  assert.equal((final?.payload.command as { status: string }).status, 'succeeded');
});

// The cluster bus (Redis) restarts under a running cluster: the instances keep their browser
// sockets, link again once it is back, the browsers get a fresh `init`, the agent that was cut comes
// back by its own reconnect, and commands cross instances again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { startClusterAgent, TestCluster } from '../../helpers/cluster.js';
import { login, sendCommand } from '../../helpers/dashboard.js';
import { connectBrowser } from '../../helpers/sockets.js';
import { freePort } from '../../helpers/free-port.js';
import { onTestProcessEnd } from '../../agent/support/agent-process.js';

const WAIT_MS = 30_000;

/** A Redis server of this test's own, so that restarting it disturbs no other test. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestProcessEnd(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  return child;
}

const health = async (url: string) => (await (await fetch(`${url}/health`)).json()) as { bus: string; status: string; leader: string | null };

test('a Redis restart: sockets are kept, links are made again, and commands cross instances again', async (t) => {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    if (process.env.CI === 'true') throw new Error('redis-server is required in CI');
    t.skip('no redis-server on PATH; install redis-server to run it');
    return;
  }
  const port = await freePort();
  let redis = await startRedis(port);
  t.after(() => redis.kill('SIGKILL'));
  const cluster = await TestCluster.create(t, { NIXFLEET_OFFLINE_TIMEOUT: '60s' }, { redisUrl: `redis://127.0.0.1:${port}` });
  if (!cluster) return;
  const [a, b] = await cluster.startPair();

  startClusterAgent(t, b.wsUrl, 'web-1');
  const session = await login(b.url);
  const browser = await connectBrowser(b.wsUrl, session);
  t.after(() => browser.close());
  // A second admin on b, logged out (through a) while b cannot hear of it.
  const other = await login(b.url);
  const leaving = await connectBrowser(b.wsUrl, other);
  t.after(() => leaving.close());
  await browser.next((m) => m.type === 'host_update' && (m.payload.host as { id: string }).id === 'web-1', WAIT_MS);

  redis.kill('SIGKILL');
  await new Promise((resolve) => redis.once('exit', resolve));
  for (const instance of [a, b]) {
    const deadline = Date.now() + WAIT_MS;
    while ((await health(instance.url)).bus !== 'disconnected') {
      assert.ok(Date.now() < deadline, `${instance.name} never noticed the bus was gone`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const out = await fetch(`${a.url}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: other.cookie, 'x-csrf-token': other.csrf } });
  assert.equal(out.status, 303);
  const initsBefore = browser.ofType('init').length;
  redis = await startRedis(port);
  await cluster.waitForRole(a, 'leader', WAIT_MS);
  await cluster.waitForRole(b, 'follower', WAIT_MS);

  // The browser stayed connected and was given the fleet again; the agent came back.
  await browser.until(() => (browser.ofType('init').length > initsBefore ? true : undefined), WAIT_MS, 'a fresh init');
  assert.equal(browser.ws.readyState, browser.ws.OPEN);
  // The logged-out one is not taken back in on the new link.
  assert.equal((await leaving.closed).code, 4003);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const sent = await sendCommand(b.url, session, 'web-1', 'pull');
    if (sent.status === 202) {
      const id = String(sent.body.command_id);
      const ended = await browser.next((m) => m.type === 'command_update' && (m.payload.command as { id: string; status: string }).id === id && !['queued', 'running'].includes((m.payload.command as { status: string }).status), WAIT_MS);
      assert.equal((ended.payload.command as { status: string }).status, 'succeeded');
      break;
    }
    // The agent is still on its way back (409 host_offline while it reconnects).
    assert.equal(sent.status, 409, JSON.stringify(sent.body));
    assert.ok(Date.now() < deadline, 'the agent never came back');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

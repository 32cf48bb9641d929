// The page keeps in step with the dashboard by itself: a skipped version makes it read the state
// again (get_state), and a dropped connection — here a dashboard restart — is retried with backoff
// until it is back, shown by the indicator, without reloading the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startTestDashboard, type TestDashboard } from '../helpers/dashboard.js';
import { freePort } from '../helpers/free-port.js';
import { heartbeatPayload, type TestSocket } from '../helpers/sockets.js';
import { buildWebClient, hostRow, launchChromium, logIn, openPage, until } from './helpers/browser.js';
import { startAgent } from './helpers/agent-script.js';

let t: TestDashboard;
let browser: Browser;
const agents: TestSocket[] = [];

before(async () => {
  buildWebClient();
  [t, browser] = await Promise.all([freePort().then((port) => startTestDashboard({ NIXFLEET_LISTEN: `127.0.0.1:${port}` })), launchChromium()]);
});
after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await browser?.close();
  await t?.close();
});

async function agent(hostname: string): Promise<TestSocket> {
  const socket = await startAgent(t.wsUrl, hostname);
  agents.push(socket);
  return socket;
}

const metrics = (cpu: number) => heartbeatPayload({ metrics: { cpu, ram: 10, swap: 0, load: 0 } });

test('a version the page never got makes it read the whole state again', async () => {
  const { page, errors, close } = await openPage(browser);
  const sentByPage: string[] = [];
  let dropped = false;
  // Between the page and the dashboard: drop the one update that says gap-host is at 55 % CPU.
  await page.context().routeWebSocket(/\/ws(\?.*)?$/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => {
      if (!dropped && typeof message === 'string' && message.includes('"host_update"') && message.includes('"cpu":55')) {
        dropped = true;
        return;
      }
      ws.send(message);
    });
    ws.onMessage((message) => {
      if (typeof message === 'string') sentByPage.push(message);
      server.send(message);
    });
  });
  await logIn(page, t.url);
  const gapHost = await agent('gap-host');
  const other = await agent('gap-other');
  await hostRow(page, 'gap-host').filter({ hasText: '13 %' }).waitFor();
  await hostRow(page, 'gap-other').waitFor();

  gapHost.send('heartbeat', metrics(55));
  await until(async () => dropped, 'the update at 55 % dropped on its way to the page');
  other.send('heartbeat', metrics(66));
  // gap-other's update comes one version after the dropped one: the page sees the gap and asks.
  await hostRow(page, 'gap-host').filter({ hasText: '55 %' }).waitFor();
  await hostRow(page, 'gap-other').filter({ hasText: '66 %' }).waitFor();
  assert.ok(dropped);
  assert.ok(
    sentByPage.some((m) => JSON.parse(m).type === 'get_state'),
    `the page asked for the state again (it sent ${sentByPage.join(', ')})`,
  );
  assert.deepEqual(errors, []);
  await close();
});

test('when the dashboard restarts the indicator says so, and the page reconnects by itself and shows what changed', async () => {
  const { page, close } = await openPage(browser);
  await logIn(page, t.url);
  await agent('before-restart');
  await hostRow(page, 'before-restart').locator('.badge.presence-online').waitFor();
  await page.evaluate('window.__sameDocument = 7');

  const { port, dataDir } = { port: t.dashboard.port, dataDir: t.dataDir };
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await t.close();
  const indicator = page.locator('.connection[data-state="reconnecting"]');
  await indicator.waitFor();
  // The first drop is the restart (1001); retries that find no dashboard yet are lost connections.
  assert.match((await indicator.textContent()) ?? '', /Disconnected: (the dashboard restarted|the connection was lost)\. Retrying in \d+ s/);
  await page.locator('section.fleet.stale').waitFor();

  // Same port, same data (so the same session): the page's retries find it.
  t = await startTestDashboard({ NIXFLEET_LISTEN: `127.0.0.1:${port}` }, dataDir);
  await agent('after-restart');
  await page.locator('.connection[data-state="live"]').waitFor();
  await page.locator('section.fleet:not(.stale)').waitFor();
  await hostRow(page, 'after-restart').locator('.badge.presence-online').waitFor();
  // The host of before is back from storage, waiting for its agent (the grace period).
  await hostRow(page, 'before-restart').locator('.badge.presence-reconnecting').waitFor();
  assert.equal(await page.evaluate('window.__sameDocument'), 7, 'the page was not reloaded');
  await close();
});

// The dashboard page through a follower of a cluster: log in, see a host whose agent is on the
// leader, switch it, watch its output arrive, and see it end, as on a single dashboard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from '../helpers/cluster.js';
import { buildWebClient, hostRow, launchChromium, logIn, openPage, until } from './helpers/browser.js';
import { finish, nextCommand, sendLines, startAgent } from './helpers/agent-script.js';

test('through a follower: log in, switch a host whose agent is on the leader, watch it to the end', async (t) => {
  const cluster = await TestCluster.create(t);
  if (!cluster) return;
  buildWebClient();
  const [[a, b], browser] = await Promise.all([cluster.startPair(), launchChromium()]);
  t.after(() => browser.close());
  const { page, errors } = await openPage(browser);
  await logIn(page, b.url);
  const agent = await startAgent(a.wsUrl, 'web-01');
  t.after(() => agent.close());
  await hostRow(page, 'web-01').waitFor();

  await page.getByRole('button', { name: 'Actions for web-01' }).click();
  await page.getByRole('menuitem', { name: 'Switch…', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Switch', exact: true }).click();
  const received = await nextCommand(agent);
  assert.equal(received.command, 'switch');
  const lines = Array.from({ length: 5 }, (_, seq) => ({ seq, stream: 'stdout' as const, line: `building ${seq}` }));
  sendLines(agent, received.command_id, lines);
  await until(async () => (await page.locator('.line-count').getAttribute('data-count')) === '5', 'all 5 lines');
  assert.deepEqual(await page.locator('.log .log-line').allTextContents(), lines.map((l) => l.line));
  finish(agent, received);
  await hostRow(page, 'web-01').locator('.badge.status-succeeded').waitFor();
  assert.deepEqual(errors, []);
});

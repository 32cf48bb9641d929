// The page asks for output batches: while two hosts stream at once it reads their lines several
// commands to a message, and each command's tab shows its own lines, in order, all of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { TestSocket } from '../helpers/sockets.js';
import { hostRow, until } from './helpers/browser.js';
import { nextCommand, sendLines, type ReceivedCommand } from './helpers/agent-script.js';
import { watchedDashboard } from './helpers/watched-dashboard.js';

const HOSTS = ['batch-web-1', 'batch-web-2'];
/** Rounds at most: in each, both hosts send a line in the same turn of this process's event loop. */
const ROUNDS_AT_MOST = 40;

/** The agents switched on, in the order of HOSTS. */
const agents: TestSocket[] = [];
/** The types of the messages the page's socket received. */
const received: string[] = [];

const fleet = watchedDashboard({
  beforeLogIn: (page) =>
    page.on('websocket', (socket) =>
      socket.on('framereceived', (frame) => {
        if (typeof frame.payload === 'string') received.push((JSON.parse(frame.payload) as { type: string }).type);
      }),
    ),
});

async function switchOn(page: Page, hostId: string): Promise<ReceivedCommand> {
  const agent = await fleet.connect(hostId);
  agents.push(agent);
  await hostRow(page, hostId).waitFor();
  await page.getByRole('button', { name: `Actions for ${hostId}` }).click();
  await page.getByRole('menuitem', { name: 'Switch…', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Switch', exact: true }).click();
  const command = await nextCommand(agent);
  await page.getByRole('tab', { name: `${hostId} · switch`, selected: true }).waitFor();
  return command;
}

const lineCount = (page: Page) => page.locator('.line-count').getAttribute('data-count');
const shownLines = (page: Page) => page.locator('.log .log-line').allTextContents();

test('two hosts streaming at once: the page reads output_batch messages and shows each command its own lines', async () => {
  const { page } = fleet.watched;
  const commands = [];
  for (const host of HOSTS) commands.push(await switchOn(page, host));

  let rounds = 0;
  const sent: string[][] = [[], []];
  while (rounds < ROUNDS_AT_MOST && !received.includes('output_batch')) {
    for (const [i, agent] of agents.entries()) {
      const line = `${HOSTS[i]} line ${rounds}`;
      sent[i]?.push(line);
      sendLines(agent, (commands[i] as ReceivedCommand).command_id, [{ seq: rounds, stream: 'stdout', line }]);
    }
    rounds += 1;
    // The last line of the round on the page (the tab of the second host is the one open).
    await until(async () => (await lineCount(page)) === String(rounds), `round ${rounds} on the page`);
  }
  assert.ok(received.includes('output_batch'), `no output_batch in ${rounds} rounds`);

  for (const [i, host] of HOSTS.entries()) {
    await page.getByRole('tab', { name: `${host} · switch` }).click();
    await page.getByRole('tab', { name: `${host} · switch`, selected: true }).waitFor();
    // Both tabs hold as many lines: the count alone does not tell that the log shown is this tab's.
    const expected = JSON.stringify(sent[i]);
    await until(async () => JSON.stringify(await shownLines(page)) === expected, `${host}'s ${rounds} lines`);
    assert.equal(await lineCount(page), String(rounds));
  }
  assert.deepEqual(fleet.watched.errors, []);
});

// Output batches across a cluster: the leader sends each instance the form of a flush its browsers
// asked for, both when it holds browsers of each kind, and every browser reads the same lines in the
// same order as it would on a single dashboard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from '../../helpers/cluster.js';
import { login, sendCommand } from '../../helpers/dashboard.js';
import { connectAgent, connectBrowser, upgradeStatus, type Message, type TestSocket } from '../../helpers/sockets.js';
import { askingForOutputBatches } from '../../../src/web/net/dashboard-url.js';

const WAIT_MS = 15_000;
const ROUNDS_AT_MOST = 50;

/** Every output line a browser read, command by command, whichever message carried it. */
function linesRead(browser: TestSocket): string[] {
  return browser.messages.flatMap((m) => {
    const outputs = m.type === 'output_batch' ? (m.payload.outputs as Message['payload'][]) : m.type === 'command_output' ? [m.payload] : [];
    return outputs.filter((o) => o.more === undefined).flatMap((o) => (o.lines as { line: string }[]).map((l) => `${String(o.command_id)} ${l.line}`));
  });
}

test('browsers of a cluster get output batches when they ask, on the leader and on a follower next to a browser that did not', async (t) => {
  const cluster = await TestCluster.create(t);
  if (!cluster) return;
  const [a, b] = await cluster.startPair();
  const session = await login(b.url);

  // The agents on the leader: their frames of one turn are read in one turn and leave in one flush.
  const hosts = ['cb-1', 'cb-2'];
  const agents = await Promise.all(hosts.map((host) => connectAgent(a.wsUrl, host)));
  const ids: string[] = [];
  for (const [i, host] of hosts.entries()) {
    const sent = await sendCommand(a.url, session, host, 'switch');
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    ids.push(String(sent.body.command_id));
    await agents[i]?.next('command', WAIT_MS);
  }
  const plainOnB = await connectBrowser(b.wsUrl, session);
  const batchedOnB = await connectBrowser(askingForOutputBatches(b.wsUrl), session);
  const batchedOnA = await connectBrowser(askingForOutputBatches(a.wsUrl), session);
  const browsers = [plainOnB, batchedOnB, batchedOnA];

  const batches = (browser: TestSocket) => browser.ofType('output_batch').length;
  let rounds = 0;
  /** Output of both commands, round after round, until each of `batching` has had a batch more; `reading` read each round. */
  const streamUntilBatched = async (batching: TestSocket[], reading: TestSocket[]) => {
    const before = batching.map(batches);
    const pending = () => batching.some((browser, i) => batches(browser) === before[i]);
    for (let tries = 0; tries < ROUNDS_AT_MOST && pending(); tries++, rounds++) {
      const line = (seq: number, text: string) => [{ seq, stream: 'stdout', line: `${text} ${rounds}` }];
      agents[0]?.send('output', { command_id: ids[0], lines: line(2 * rounds, 'a') });
      agents[1]?.send('output', { command_id: ids[1], lines: line(2 * rounds, 'b') });
      agents[0]?.send('output', { command_id: ids[0], lines: line(2 * rounds + 1, 'a2') });
      agents[1]?.send('output', { command_id: ids[1], lines: line(2 * rounds + 1, 'b2') });
      const last = `${ids[1]} b2 ${rounds}`;
      for (const browser of reading) await browser.until(() => (linesRead(browser).includes(last) ? true : undefined), WAIT_MS, `round ${rounds}`);
    }
    assert.ok(!pending(), `no output_batch for some browser in ${ROUNDS_AT_MOST} rounds`);
  };
  /** The same lines in the same order for each, whichever form carried them: every line once. */
  const assertSameLines = (expected: string[], others: TestSocket[]) => {
    assert.equal(expected.length, 4 * rounds);
    for (const [i, id] of ids.entries()) assert.equal(expected.filter((entry) => entry.startsWith(`${id} `)).length, 2 * rounds, `${hosts[i]}: every line once`);
    for (const browser of others) assert.deepEqual(linesRead(browser), expected);
  };

  await streamUntilBatched([batchedOnB, batchedOnA], browsers);
  assert.equal(batches(plainOnB), 0, 'the browser that did not ask gets command_output only, next to one that did');
  for (const browser of [batchedOnA, batchedOnB]) for (const batch of browser.ofType('output_batch')) assert.ok((batch.payload.outputs as unknown[]).length >= 2);
  assertSameLines(linesRead(plainOnB), [batchedOnB, batchedOnA]);

  // Without the plain browser the follower is sent one form; the one left still reads every line once.
  await plainOnB.close();
  await streamUntilBatched([batchedOnB], [batchedOnB, batchedOnA]);
  assertSameLines(linesRead(batchedOnA), [batchedOnB]);

  // The leader counts what its browsers and the follower's were sent, batches as batches.
  const metrics = await (await fetch(`${a.url}/metrics`, { headers: { cookie: session.cookie } })).text();
  const series = 'nixfleet_messages_sent_total{peer="browser",type="output_batch"} ';
  const counted = Number(metrics.split('\n').find((l) => l.startsWith(series))?.slice(series.length) ?? 0);
  assert.equal(counted, batches(batchedOnA) + batches(batchedOnB));

  // A follower checks the query as a single dashboard does.
  assert.equal(await upgradeStatus(`${b.wsUrl}?output=bogus`, { cookie: session.cookie }), 400);
  await Promise.all([...agents.map((agent) => agent.close()), batchedOnA.close(), batchedOnB.close()]);
});

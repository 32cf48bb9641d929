// A stopping dashboard takes in no new sockets: an agent that reconnects at once is told 503 at the
// upgrade rather than accepted and left open to hold the stop up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestDashboard, TEST_AGENT_TOKEN } from '../helpers/dashboard.js';
import { connectAgent } from '../helpers/sockets.js';

test('while the dashboard stops, an agent upgrade is refused with 503 and the stop completes', async () => {
  const t = await startTestDashboard();
  const agent = await connectAgent(t.wsUrl, 'stop-01');
  // The agent does not answer the close frame, so the stop waits out its grace period: the window in
  // which a reconnecting agent used to be taken in.
  agent.tcp.pause();
  const started = Date.now();
  const stopping = t.close();
  const status = await new Promise<number>((resolve, reject) => {
    const late = new WebSocket(t.wsUrl, { headers: { authorization: `Bearer ${TEST_AGENT_TOKEN}` } });
    late.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      late.terminate();
    });
    late.on('open', () => {
      late.terminate();
      reject(new Error('a new socket was taken in while stopping'));
    });
    late.on('error', () => undefined);
  });
  assert.equal(status, 503);
  await stopping;
  assert.ok(Date.now() - started < 5_000, `stopped in ${Date.now() - started} ms`);
});

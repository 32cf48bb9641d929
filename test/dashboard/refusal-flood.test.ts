// A misconfigured agent retrying every few seconds does not flood the event log: its refusal is
// recorded once and its repeats as one count, written when the reason changes or the dashboard stops
// (and every ten minutes while it lasts: repeated-events.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestFleet, waitFor } from '../agent/support/fleet.js';
import { startAgent } from '../agent/support/agent-process.js';
import { TEST_AGENT_TOKEN } from '../helpers/dashboard.js';
import { TestSocket, registerPayload, upgradeStatus } from '../helpers/sockets.js';

/** Above any number of tries here: the per-address limit (429, no event) is not what is tested. */
const DASHBOARD_ENV = { NIXFLEET_AGENT_RATE_LIMIT: '10000' };
const UNKNOWN_TOKEN = 'agent connection with an unknown token refused from 127.0.0.1';

/** Every event message, oldest first, as the admin reads them. */
async function eventMessages(fleet: TestFleet): Promise<string[]> {
  const response = await fetch(`${fleet.t.url}/api/events?limit=1000`, { headers: { cookie: fleet.session.cookie } });
  const { events } = (await response.json()) as { events: { id: number; message: string }[] };
  return events.sort((a, b) => a.id - b.id).map((e) => e.message);
}

const repeatedCount = (message: string): number | null => Number(/\(repeated (\d+) more times? in the last 10 min\)$/.exec(message)?.[1] ?? NaN) || null;

test('twelve upgrades with an unknown token: one event; the eleven repeats are one count, written when the dashboard stops', async () => {
  const fleet = await TestFleet.start(DASHBOARD_ENV);
  try {
    for (let i = 0; i < 12; i++) assert.equal(await upgradeStatus(fleet.t.wsUrl, { authorization: 'Bearer not-the-token' }), 401);
    assert.deepEqual((await eventMessages(fleet)).filter((m) => m.startsWith(UNKNOWN_TOKEN)), [UNKNOWN_TOKEN]);

    await fleet.restartDashboard(0);
    const after = (await eventMessages(fleet)).filter((m) => m.startsWith(UNKNOWN_TOKEN));
    assert.deepEqual(after, [UNKNOWN_TOKEN, `${UNKNOWN_TOKEN} (repeated 11 more times in the last 10 min)`]);
  } finally {
    await fleet.close();
  }
});

/** Registers `hostname` with `token` and waits until the dashboard closed the socket. */
async function refusedRegistration(url: string, token: string, hostname: string): Promise<void> {
  const agent = await TestSocket.connect(url, { authorization: `Bearer ${token}` });
  agent.send('register', registerPayload(hostname, { protocol_version: 1, running: null }));
  await agent.closed;
}

test('an agent registering with another host\'s token: one event per reason, and a new reason first writes the old count', async () => {
  const fleet = await TestFleet.start(DASHBOARD_ENV);
  try {
    const tokens: Record<string, string> = {};
    for (const hostname of ['web-01', 'db-01']) {
      const response = await fetch(`${fleet.t.url}/api/hosts`, {
        method: 'POST',
        headers: { cookie: fleet.session.cookie, 'x-csrf-token': fleet.session.csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ hostname }),
      });
      assert.equal(response.status, 201);
      tokens[hostname] = ((await response.json()) as { token: string }).token;
    }
    const wrongHost = 'agent from 127.0.0.1 refused as web-01: this token belongs to host db-01';
    const sharedToken = 'agent from 127.0.0.1 refused as web-01: host web-01 has its own token; the shared token cannot register it';
    const refusals = async () => (await eventMessages(fleet)).filter((m) => m.startsWith('agent from 127.0.0.1 refused'));

    for (let i = 0; i < 6; i++) await refusedRegistration(fleet.t.wsUrl, tokens['db-01'] ?? '', 'web-01');
    assert.deepEqual(await refusals(), [wrongHost]);

    // The admin swaps in the shared token: another reason, so the count of the first is written now.
    for (let i = 0; i < 3; i++) await refusedRegistration(fleet.t.wsUrl, TEST_AGENT_TOKEN, 'web-01');
    assert.deepEqual(await refusals(), [wrongHost, `${wrongHost} (repeated 5 more times in the last 10 min)`, sharedToken]);

    // Another hostname from the same address is another source: recorded at once.
    await refusedRegistration(fleet.t.wsUrl, tokens['db-01'] ?? '', 'web-02');
    assert.equal((await refusals()).at(-1), 'agent from 127.0.0.1 refused as web-02: this token belongs to host db-01');
  } finally {
    await fleet.close();
  }
});

test('the real agent retrying with a wrong token: one event for all its tries, and their count when the dashboard stops', async () => {
  const fleet = await TestFleet.start(DASHBOARD_ENV);
  try {
    const repo = fleet.repo('web-07');
    const agent = startAgent(fleet.agentEnv('web-07', repo.hostClone, { NIXFLEET_TOKEN: 'a-token-from-an-old-install' }));
    const refusedTries = () => agent.stderr().split('\n').filter((line) => line.includes('refused the token')).length;
    await waitFor(() => refusedTries() >= 8, 'eight refused tries of the agent', 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\nagent stderr:\n${agent.stderr()}`);
    });
    assert.deepEqual((await eventMessages(fleet)).filter((m) => m.startsWith(UNKNOWN_TOKEN)), [UNKNOWN_TOKEN]);
    await agent.kill();
    const tries = refusedTries();

    await fleet.restartDashboard(0);
    const after = (await eventMessages(fleet)).filter((m) => m.startsWith(UNKNOWN_TOKEN));
    assert.equal(after.length, 2, after.join('\n'));
    const repeats = repeatedCount(after[1] ?? '') ?? 0;
    // The agent may have been killed between the dashboard's 401 and its own log line: one try more.
    assert.ok(repeats + 1 === tries || repeats + 1 === tries + 1, `${repeats} repeats counted, the agent logged ${tries} refused tries`);
  } finally {
    await fleet.close();
  }
});

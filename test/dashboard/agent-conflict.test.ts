// Two agents registering as one host replace each other again and again. The admin hears of it once
// (a warning event) and sees a badge on the host, instead of a host that flaps silently; one agent
// reconnecting over its own stale socket is not a fight.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, startTestDashboard, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, type Message, type TestSocket } from '../helpers/sockets.js';
import { CONFLICT_REPLACEMENTS } from '../../src/dashboard/fleet/agent-conflicts.js';

let t: TestDashboard;
let session: Session;

before(async () => {
  t = await startTestDashboard();
  session = await login(t.url);
});
after(() => t.close());

const conflictOf = (id: string) => (m: Message) => m.type === 'host_update' && (m.payload.host as { id: string }).id === id;
const warningsAbout = (browser: TestSocket, id: string) =>
  browser.messages.filter((m) => m.type === 'event' && m.payload.level === 'warn' && String(m.payload.message).includes(`replacing each other as host ${id}`));

test('agents replacing each other as one host raise one warning event and set agent_conflict on the host', async () => {
  const browser = await connectBrowser(t.wsUrl, session);
  const agents: TestSocket[] = [];
  for (let i = 0; i <= CONFLICT_REPLACEMENTS + 2; i++) agents.push(await connectAgent(t.wsUrl, 'twin-01'));
  const flagged = await browser.next((m) => conflictOf('twin-01')(m) && (m.payload.host as { agent_conflict: boolean }).agent_conflict === true);
  assert.equal((flagged.payload.host as { connected: boolean }).connected, true);
  // The warning comes before the host update; more replacements during the fight raise no other.
  agents.push(await connectAgent(t.wsUrl, 'twin-01'));
  await browser.barrier();
  assert.equal(warningsAbout(browser, 'twin-01').length, 1);
  const hosts = (await (await fetch(`${t.url}/api/hosts`, { headers: { cookie: session.cookie } })).json()) as { hosts: { id: string; agent_conflict: boolean }[] };
  assert.equal(hosts.hosts.find((h) => h.id === 'twin-01')?.agent_conflict, true);
  await Promise.all([...agents.map((a) => a.close()), browser.close()]);
});

test('one agent reconnecting over its stale socket is no conflict', async () => {
  const browser = await connectBrowser(t.wsUrl, session);
  const first = await connectAgent(t.wsUrl, 'single-01');
  const second = await connectAgent(t.wsUrl, 'single-01');
  await browser.barrier();
  const updates = browser.messages.filter(conflictOf('single-01')).map((m) => m.payload.host as { agent_conflict: boolean });
  assert.ok(updates.length > 0);
  assert.ok(updates.every((h) => h.agent_conflict === false));
  assert.equal(warningsAbout(browser, 'single-01').length, 0);
  await Promise.all([first.close(), second.close(), browser.close()]);
});

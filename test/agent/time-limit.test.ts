// A command over its time limit: the dashboard gives it up (`timed_out`), tells the agent to stop it,
// and sends the next one at once. The agent takes that one once the stopped command is reported,
// instead of refusing it as busy while the stop is under way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFleet } from './support/fleet.js';
import { killAllAgents } from './support/agent-process.js';

const HOST = 'slow-01';
let fleet: TestFleet;

before(async () => {
  fleet = await TestFleet.start({ NIXFLEET_COMMAND_TIMEOUTS: 'update=2s' });
  await fleet.startAgent(fleet.agentEnv(HOST, fleet.repo(HOST).hostClone));
});
after(async () => {
  await killAllAgents();
  await fleet.close();
});

test('the command queued behind one that timed out runs once the stopped one is reported, not refused as busy', async () => {
  // It ignores SIGTERM: only the agent's SIGKILL after its stop grace (2 s) ends it.
  fleet.tools.set('nix', { lines: 3, sleepS: 300, ignoreTerm: true });
  const updateId = await fleet.send(HOST, 'update');
  const pullId = await fleet.send(HOST, 'pull', { queue: true });
  const timedOut = await fleet.ended(updateId);
  assert.equal(timedOut.status, 'timed_out');
  const pull = await fleet.ended(pullId, 20_000);
  assert.equal(pull.status, 'succeeded', pull.message);
  const events = await fleet.events(HOST);
  assert.equal(events.filter((e) => /refused/.test(e)).length, 0, `no refusal: ${events.join(' | ')}`);
});

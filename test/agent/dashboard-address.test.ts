// The dashboard address as admins write it: the web address (http://) works and is noted once; wss://
// against a plain-HTTP port is explained in the log instead of an OpenSSL routine name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFleet, waitFor } from './support/fleet.js';
import { killAllAgents, startAgent } from './support/agent-process.js';

let fleet: TestFleet;

before(async () => {
  fleet = await TestFleet.start();
});
after(async () => {
  await killAllAgents();
  await fleet.close();
});

/** The agent's log lines (pino JSON on stderr) whose message matches. */
function logged(stderr: string, pattern: RegExp): string[] {
  return stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => String((JSON.parse(line) as { msg?: string }).msg ?? ''))
    .filter((msg) => pattern.test(msg));
}

test('an agent given the dashboard\'s http:// address connects over ws:// and notes it once, not on every connect', async () => {
  const repo = fleet.repo('addr-01');
  const webAddress = fleet.t.url;
  const agent = await fleet.startAgent(fleet.agentEnv('addr-01', repo.hostClone, { NIXFLEET_URL: webAddress }));
  await fleet.restartDashboard(100);
  await waitFor(() => logged(agent.stderr(), /^registered$/).length >= 2 && fleet.host('addr-01')?.connected, 'a second registration');
  await agent.kill('SIGTERM');
  const notes = logged(agent.stderr(), /is the dashboard's web address/);
  assert.deepEqual(notes, [`NIXFLEET_URL: "${webAddress}" is the dashboard's web address; the agent connects to ${fleet.t.wsUrl}`]);
});

test('an agent given wss:// for a plain-HTTP dashboard logs that the dashboard does not speak TLS', async () => {
  const repo = fleet.repo('addr-02');
  const wss = fleet.t.wsUrl.replace(/^ws:/, 'wss:');
  const agent = startAgent(fleet.agentEnv('addr-02', repo.hostClone, { NIXFLEET_URL: wss }));
  const { host } = new URL(wss);
  const explained = new RegExp(`^the dashboard at wss://${host} does not speak TLS: use ws://, or put TLS in front`);
  await waitFor(() => logged(agent.stderr(), explained).length > 0, 'the TLS explanation in the log');
  await agent.kill();
  assert.equal(fleet.host('addr-02'), undefined, 'it never registered');
});

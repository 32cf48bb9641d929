// A follow survives a dashboard restart: the socket is opened again when the dashboard is back and
// the output goes on from the first line not printed, each line once, to the command's end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { login, sendCommand, startTestDashboard, tempDir, type TestDashboard } from '../helpers/dashboard.js';
import { freePort } from '../helpers/free-port.js';
import { connectAgent, type TestSocket } from '../helpers/sockets.js';
import { numberedLines, startCli } from './support/cli.js';

test('output --follow goes on across a dashboard restart, each line once, and ends with the command', async (t) => {
  const dataDir = tempDir();
  let dashboard: TestDashboard = await startTestDashboard({ NIXFLEET_LISTEN: `127.0.0.1:${await freePort()}` }, dataDir);
  let agent: TestSocket | null = null;
  t.after(async () => {
    await agent?.close();
    await dashboard.close();
  });
  const session = await login(dashboard.url);
  const made = await fetch(`${dashboard.url}/api/tokens`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ci', scope: 'read' }),
  });
  const { secret } = (await made.json()) as { secret: string };

  agent = await connectAgent(dashboard.wsUrl, 'rc-01');
  const sent = await sendCommand(dashboard.url, session, 'rc-01', 'switch');
  const commandId = String(sent.body.command_id);
  await agent.next('command');
  const all = numberedLines('rc-01', 20);
  const send = (from: number, to: number) => agent?.send('output', { command_id: commandId, lines: all.slice(from, to).map((line, i) => ({ seq: from + i, stream: 'stdout', line })) });
  send(0, 10);

  const cli = startCli(['output', commandId, '--follow'], { NIXFLEET_URL: dashboard.url, NIXFLEET_API_TOKEN: secret });
  await cli.waitForStdout(/^rc-01 line 9$/m);

  // The dashboard stops (its sockets get 1001) and comes back on the same address and data.
  await agent.close();
  agent = null;
  const address = new URL(dashboard.url).host;
  await dashboard.close();
  dashboard = await startTestDashboard({ NIXFLEET_LISTEN: address }, dataDir);
  // The agent comes back still running the command, and sends the rest and its status.
  agent = await connectAgent(dashboard.wsUrl, 'rc-01', { protocol_version: 1, running: { command_id: commandId, command: 'switch', pid: 4242 } });
  send(10, 20);
  agent.send('status', { status: 'ok', command: 'switch', command_id: commandId, exit_code: 0, message: 'done' });

  const run = await cli.finished;
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.stdout, `${all.join('\n')}\n`, 'every line once, in order');
  assert.match(run.stderr, /^switch on rc-01: succeeded \(exit 0, [\d.]+s\): done$/m);
});

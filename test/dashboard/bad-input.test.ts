// Bad input gets a clear error and changes nothing; the dashboard keeps serving everyone else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, sendCommand, startTestDashboard, TEST_AGENT_TOKEN, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, registerPayload, TestSocket, type Message } from '../helpers/sockets.js';

let t: TestDashboard;
let session: Session;
let bystanderAgent: TestSocket;
let bystanderBrowser: TestSocket;

before(async () => {
  t = await startTestDashboard({ NIXFLEET_MAX_MESSAGE: '64KiB' });
  session = await login(t.url);
  bystanderAgent = await connectAgent(t.wsUrl, 'bystander');
  bystanderBrowser = await connectBrowser(t.wsUrl, session);
});

/** After each abuse, a well-behaved agent and browser still work end to end. */
async function routingStillWorks(): Promise<void> {
  const generation = `still-${Math.random().toString(36).slice(2)}`;
  bystanderAgent.send('heartbeat', { generation });
  await bystanderBrowser.next(
    (m) => m.type === 'host_update' && (m.payload.host as { id: string; generation: string }).generation === generation,
  );
}

after(async () => {
  await routingStillWorks();
  await Promise.all([bystanderAgent.close(), bystanderBrowser.close()]);
  await t.close();
});

async function agentSocket(): Promise<TestSocket> {
  return TestSocket.connect(t.wsUrl, { authorization: `Bearer ${TEST_AGENT_TOKEN}` });
}

const errorWith = (code: string) => (m: Message) => m.type === 'error' && m.payload.code === code;

test('non-JSON, non-objects and envelopes of the wrong shape get bad_message and the socket stays open', async () => {
  const agent = await connectAgent(t.wsUrl, 'bad-json');
  const frames = ['{not json', '[]', '42', '"register"', 'null', '{"payload":{}}', '{"type":7,"payload":{}}', '{"type":"heartbeat","payload":[]}'];
  for (const frame of frames) {
    agent.sendRaw(frame);
    const error = await agent.next('error');
    assert.equal(error.payload.code, 'bad_message', frame);
    assert.equal(typeof error.payload.message, 'string');
  }
  assert.equal(agent.ws.readyState, agent.ws.OPEN);
  await routingStillWorks();
  await agent.close();
});

test('payloads that fail their schema get bad_message naming the field, and change nothing', async () => {
  const agent = await connectAgent(t.wsUrl, 'bad-shape');
  const before = JSON.stringify(t.dashboard.context.hub.parts.fleet.get('bad-shape')?.record);
  const cases: [string, unknown][] = [
    ['heartbeat', { metrics: { cpu: 'lots', ram: 1, swap: 0, load: 0 } }],
    ['heartbeat', { generation: 'x'.repeat(10_000) }],
    ['output', { command_id: 'c', lines: [{ seq: -1, stream: 'stdout', line: 'x' }] }],
    ['output', { command_id: 'c', lines: [{ seq: 0, stream: 'stdtv', line: 'x' }] }],
    ['output', { line: 42 }],
    ['status', { status: 'maybe', command: 'pull' }],
    ['register', { hostname: 'bad-shape', theme_color: 'red; background: url(x)' }],
    ['no_such_type', {}],
  ];
  for (const [type, payload] of cases) {
    agent.send(type, payload);
    const error = await agent.next('error');
    assert.equal(error.payload.code, 'bad_message', `${type} ${JSON.stringify(payload).slice(0, 80)}`);
  }
  const metricsError = agent.ofType('error')[0];
  assert.match(String(metricsError?.payload.message), /metrics\/cpu/);
  assert.equal(JSON.stringify(t.dashboard.context.hub.parts.fleet.get('bad-shape')?.record), before);
  await routingStillWorks();
  await agent.close();
});

test('frames before register get not_registered and change nothing', async () => {
  const agent = await agentSocket();
  agent.send('heartbeat', { generation: 'sneaky' });
  agent.send('output', { line: 'x' });
  assert.equal((await agent.next('error')).payload.code, 'not_registered');
  assert.equal((await agent.next('error')).payload.code, 'not_registered');
  agent.send('register', registerPayload('late-register'));
  await agent.next('registered');
  await agent.close();
});

test('a register with a bad hostname gets bad_hostname and the socket is closed with 1008', async () => {
  for (const hostname of ['', '-leading-dash', 'has space', 'a'.repeat(64), '../../etc/passwd', '<script>', 'host\u0000name']) {
    const agent = await agentSocket();
    agent.send('register', registerPayload(hostname));
    const error = await agent.next('error');
    assert.equal(error.payload.code, 'bad_hostname', JSON.stringify(hostname));
    assert.equal((await agent.closed).code, 1008);
    assert.equal(t.dashboard.context.hub.parts.fleet.get(hostname), undefined);
  }
  await routingStillWorks();
});

test('a frame over NIXFLEET_MAX_MESSAGE closes the socket with 1009', async () => {
  const agent = await connectAgent(t.wsUrl, 'too-big');
  agent.send('heartbeat', { generation: 'x'.repeat(70 * 1024) });
  assert.equal((await agent.closed).code, 1009);
  await routingStillWorks();
});

test('binary frames get bad_message', async () => {
  const agent = await connectAgent(t.wsUrl, 'binary');
  agent.sendRaw(Buffer.from([1, 2, 3]), { binary: true });
  assert.ok(await agent.next(errorWith('bad_message')));
  await agent.close();
});

test('a peer that keeps sending bad frames is closed with 1008', async () => {
  const agent = await connectAgent(t.wsUrl, 'spammer');
  for (let i = 0; i < 50; i++) agent.sendRaw('garbage');
  assert.equal((await agent.closed).code, 1008);
  await routingStillWorks();
});

test('browsers cannot speak as agents: register, heartbeat, output and status get forbidden and change nothing', async () => {
  const agent = await connectAgent(t.wsUrl, 'victim');
  const { body } = await sendCommand(t.url, session, 'victim', 'switch');
  const browser = await connectBrowser(t.wsUrl, session);
  const attempts: [string, unknown][] = [
    ['register', registerPayload('browser-host')],
    ['heartbeat', { generation: 'forged' }],
    ['output', { command_id: body.command_id, lines: [{ seq: 0, stream: 'stdout', line: 'forged line' }] }],
    ['status', { status: 'ok', command: 'switch', command_id: body.command_id, exit_code: 0 }],
  ];
  for (const [type, payload] of attempts) {
    browser.send(type, payload);
    assert.equal((await browser.next('error')).payload.code, 'forbidden', type);
  }
  const { fleet, commands } = t.dashboard.context.hub.parts;
  assert.equal(fleet.get('browser-host'), undefined);
  assert.notEqual(fleet.get('victim')?.record.generation, 'forged');
  assert.equal(commands.get(String(body.command_id))?.status, 'running');
  assert.equal(commands.get(String(body.command_id))?.output_lines, 0);
  await Promise.all([agent.close(), browser.close()]);
});

test('hostile HTTP bodies get 400 with a JSON error and change nothing', async () => {
  const agent = await connectAgent(t.wsUrl, 'http-target');
  const post = (body: string, contentType = 'application/json') =>
    fetch(`${t.url}/api/hosts/http-target/command`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': contentType },
      body,
    });
  for (const body of ['{', '[]', '{"command":5}', '{}', JSON.stringify({ command: 'x'.repeat(10_000) })]) {
    const response = await post(body);
    assert.equal(response.status, 400, body.slice(0, 40));
    const json = (await response.json()) as { error: string; message: string };
    assert.equal(typeof json.error, 'string');
    assert.equal(typeof json.message, 'string');
  }
  const huge = await post(JSON.stringify({ command: 'pull', pad: 'x'.repeat(200_000) }));
  assert.equal(huge.status, 413);
  assert.equal(agent.ofType('command').length, 0);
  await agent.close();
});

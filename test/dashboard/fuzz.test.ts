// Property-based: arbitrary frames and bodies thrown at the real server. Each is either accepted by
// its schema or answered with an error; the process never throws; a well-behaved agent and browser
// are routed as before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { login, sendCommand, startTestDashboard, TEST_AGENT_TOKEN, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, registerPayload, TestSocket, type Message } from '../helpers/sockets.js';
import { decodeAgentMessage, decodeBrowserMessage, parseEnvelope } from '../../src/protocol/frame.js';

const RUNS = 60;
let t: TestDashboard;
let session: Session;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

before(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  t = await startTestDashboard();
  session = await login(t.url);
});
after(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  await t.close();
});

const AGENT_TYPES = ['heartbeat', 'output', 'status', 'command_rejected', 'operation_progress', 'test_progress', 'get_state', 'nonsense'];
const FIELDS = ['generation', 'metrics', 'pending_command', 'line', 'lines', 'stream', 'command', 'command_id', 'status', 'exit_code', 'message', 'progress', 'current', 'seq', 'from_seq', 'cpu'];

/** Frames near the protocol: envelopes of known types with payloads of known field names and arbitrary values, plus junk. */
const frame = fc.oneof(
  fc.string(),
  fc.json(),
  fc.record({
    type: fc.constantFrom(...AGENT_TYPES),
    payload: fc.dictionary(fc.constantFrom(...FIELDS), fc.jsonValue(), { maxKeys: 5 }),
  }).map((value) => JSON.stringify(value)),
  fc.record({
    type: fc.constant('output'),
    payload: fc.record({
      command_id: fc.string({ maxLength: 70 }),
      lines: fc.array(fc.record({ seq: fc.integer({ min: -2, max: 5 }), stream: fc.constantFrom('stdout', 'stderr', 'x'), line: fc.string() }), { maxLength: 4 }),
    }),
  }).map((value) => JSON.stringify(value)),
);

const SENTINEL = 'fuzz-sentinel';

/** Sends frames, then a sentinel that is surely bad; returns the replies up to the sentinel's error. */
async function exchange(socket: TestSocket, frames: string[]): Promise<Message[]> {
  const start = socket.messages.length;
  for (const text of frames) socket.sendRaw(text);
  // Its error names it, so no error of the frames before it is taken for it.
  socket.sendRaw(JSON.stringify({ type: SENTINEL, payload: {} }));
  await socket.next((m) => m.type === 'error' && String(m.payload.message).includes(SENTINEL) && socket.messages.indexOf(m) >= start);
  return socket.messages.slice(start, -1);
}

function agentFrameIsValid(text: string): boolean {
  const envelope = parseEnvelope(text);
  return envelope.ok && decodeAgentMessage(envelope.message).ok;
}

let routingChecks = 0;
async function stillRouting(): Promise<void> {
  // A new host each time: the HTTP fuzzing may legitimately give an existing one its own token.
  const hostname = `well-behaved-${routingChecks++}`;
  const agent = await connectAgent(t.wsUrl, hostname);
  const browser = await connectBrowser(t.wsUrl, session);
  const { status, body } = await sendCommand(t.url, session, hostname, 'pull');
  assert.equal(status, 202);
  agent.send('output', { command_id: body.command_id, lines: [{ seq: 0, stream: 'stdout', line: 'fine' }] });
  const output = await browser.next('command_output');
  assert.deepEqual(output.payload.lines, [{ seq: 0, stream: 'stdout', line: 'fine' }]);
  agent.send('status', { status: 'ok', command: 'pull', command_id: body.command_id, exit_code: 0 });
  await browser.next((m) => m.type === 'command_update' && (m.payload.command as { status: string }).status === 'succeeded');
  await Promise.all([agent.close(), browser.close()]);
}

test('arbitrary agent frames: invalid ones get bad_message, valid ones never do, nothing throws', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 6 }), async (frames) => {
      const agent = await TestSocket.connect(t.wsUrl, { authorization: `Bearer ${TEST_AGENT_TOKEN}` });
      agent.send('register', registerPayload('fuzzed', { protocol_version: 1, running: null }));
      await agent.next('registered');
      const replies = await exchange(agent, frames);
      const badMessages = replies.filter((m) => m.type === 'error' && m.payload.code === 'bad_message').length;
      assert.equal(badMessages, frames.filter((f) => !agentFrameIsValid(f)).length);
      assert.ok(replies.every((m) => m.type === 'error' && typeof m.payload.message === 'string'));
      await agent.close();
    }),
    { numRuns: RUNS },
  );
  assert.deepEqual(uncaught, []);
  await stillRouting();
});

test('arbitrary browser frames: each is answered (init, output or an error) and nothing throws', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 6 }), async (frames) => {
      const browser = await connectBrowser(t.wsUrl, session);
      const replies = await exchange(browser, frames);
      const answered = replies.filter((m) => ['init', 'error', 'command_output'].includes(m.type)).length;
      assert.ok(answered >= frames.length, `${answered} answers to ${frames.length} frames`);
      for (const text of frames) {
        const envelope = parseEnvelope(text);
        if (envelope.ok && decodeBrowserMessage(envelope.message).ok && envelope.message.type === 'get_state') {
          assert.ok(replies.some((m) => m.type === 'init'));
        }
      }
      await browser.close();
    }),
    { numRuns: RUNS },
  );
  assert.deepEqual(uncaught, []);
  await stillRouting();
});

test('arbitrary HTTP bodies and paths get a 4xx with a JSON or HTML answer, never a 5xx', async () => {
  const body = fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ command: v })));
  const target = fc.constantFrom('/api/hosts/well-behaved-0/command', '/api/hosts', '/api/hosts/x%00y/command', '/login', '/api/hosts/well-behaved-0/token');
  const type = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream');
  await fc.assert(
    fc.asyncProperty(target, body, type, async (path, text, contentType) => {
      const response = await fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': contentType },
        body: text,
      });
      await response.arrayBuffer();
      assert.ok(response.status < 500, `${path} ${contentType} ${text.slice(0, 60)} → ${response.status}`);
    }),
    { numRuns: RUNS * 2 },
  );
  assert.deepEqual(uncaught, []);
  await stillRouting();
});

// Scenario 6: output lines reach every browser in order and gap-free, well under 100 ms, and every
// line is stored so a command can be replayed from any point.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, sendCommand, startTestDashboard, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, eventually, type Message, type TestSocket } from '../helpers/sockets.js';

let t: TestDashboard;
let session: Session;

before(async () => {
  t = await startTestDashboard();
  session = await login(t.url);
});
after(() => t.close());

interface Line {
  seq: number;
  stream: string;
  line: string;
}

/** Every line a browser got for a command, in arrival order. */
function linesOf(browser: TestSocket, commandId: string): (Line & { at: number })[] {
  return browser.messages
    .filter((m) => m.type === 'command_output' && m.payload.command_id === commandId)
    .flatMap((m) => (m.payload.lines as Line[]).map((l) => ({ ...l, at: m.receivedAt })));
}

async function startCommand(host: string, command = 'switch'): Promise<string> {
  const { status, body } = await sendCommand(t.url, session, host, command);
  assert.equal(status, 202);
  return String(body.command_id);
}

async function fetchOutput(commandId: string, fromSeq?: number): Promise<{ lines: Line[]; more: boolean; command: Record<string, unknown> }> {
  const query = fromSeq === undefined ? '' : `?from_seq=${fromSeq}`;
  const response = await fetch(`${t.url}/api/commands/${commandId}/output${query}`, { headers: { cookie: session.cookie } });
  assert.equal(response.status, 200);
  return (await response.json()) as { lines: Line[]; more: boolean; command: Record<string, unknown> };
}

test('v0 one-line frames are attributed to the running command and numbered by the dashboard', async () => {
  const agent = await connectAgent(t.wsUrl, 'stream-v0', {});
  const browser = await connectBrowser(t.wsUrl, session);
  const id = await startCommand('stream-v0', 'pull');
  await agent.next('command');
  for (let i = 0; i < 50; i++) {
    agent.send('output', { line: `line ${i}`, stream: i === 3 ? 'stderr' : 'stdout', command: 'pull', is_error: i === 3 });
  }
  agent.send('output', { line: 'no stream given but an error', command: 'pull', is_error: true });
  await browser.until(() => (linesOf(browser, id).length >= 51 ? true : undefined), 5000, '51 lines');
  const got = linesOf(browser, id);
  assert.deepEqual(got.map((l) => l.seq), Array.from({ length: 51 }, (_, i) => i));
  assert.deepEqual(got.map((l) => l.line).slice(0, 3), ['line 0', 'line 1', 'line 2']);
  assert.equal(got[3]?.stream, 'stderr');
  assert.equal(got[50]?.stream, 'stderr');
  const command = browser.ofType('command_output')[0];
  assert.equal(command?.payload.host_id, 'stream-v0');
  assert.equal(command?.payload.command, 'pull');
  await Promise.all([agent.close(), browser.close()]);
});

test('v0 output with no running command gets an error and is not stored anywhere', async () => {
  const agent = await connectAgent(t.wsUrl, 'stream-idle', {});
  agent.send('output', { line: 'stray', stream: 'stdout', command: 'pull', is_error: false });
  const error = await agent.next('error');
  assert.equal(error.payload.code, 'no_running_command');
  await agent.close();
});

test('a browser that opens mid-command replays everything from the first line, then gets the live lines', async () => {
  const agent = await connectAgent(t.wsUrl, 'replay-01');
  const id = await startCommand('replay-01');
  await agent.next('command');
  const early = Array.from({ length: 300 }, (_, seq) => ({ seq, stream: 'stdout', line: `early ${seq}` }));
  agent.send('output', { command_id: id, lines: early.slice(0, 150) });
  agent.send('output', { command_id: id, lines: early.slice(150) });
  const commands = t.dashboard.context.hub.parts.commands;
  await eventually(() => (commands.get(id)?.output_lines === 300 ? true : undefined), 5000, '300 lines');

  const late = await connectBrowser(t.wsUrl, session);
  const init = late.ofType('init')[0] as Message;
  const running = (init.payload.commands as { id: string; output_lines: number }[]).find((c) => c.id === id);
  assert.ok(running);
  late.send('get_output', { command_id: id, from_seq: 0 });
  const replay = await late.next((m) => m.type === 'command_output' && m.payload.command_id === id);
  const replayed = replay.payload.lines as Line[];
  assert.deepEqual(replayed.map((l) => l.seq), Array.from({ length: 300 }, (_, i) => i));
  assert.equal(replayed[299]?.line, 'early 299');

  agent.send('output', { command_id: id, lines: [{ seq: 300, stream: 'stderr', line: 'live 300' }] });
  const live = await late.next((m) => m.type === 'command_output' && m.payload.command_id === id);
  assert.deepEqual(live.payload.lines, [{ seq: 300, stream: 'stderr', line: 'live 300' }]);

  // From any point, over the socket and over HTTP.
  late.send('get_output', { command_id: id, from_seq: 298 });
  const tail = await late.next((m) => m.type === 'command_output' && m.payload.command_id === id);
  assert.deepEqual((tail.payload.lines as Line[]).map((l) => l.seq), [298, 299, 300]);
  const http = await fetchOutput(id, 295);
  assert.deepEqual(http.lines.map((l) => l.seq), [295, 296, 297, 298, 299, 300]);
  assert.equal(http.more, false);
  assert.equal(http.command.output_lines, 301);
  await Promise.all([agent.close(), late.close()]);
});

test('lines a v1 agent resends after a reconnect are dropped by seq; a gap is marked, never hidden', async () => {
  let agent = await connectAgent(t.wsUrl, 'resend-01');
  const id = await startCommand('resend-01');
  await agent.next('command');
  const lines = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => ({ seq: from + i, stream: 'stdout', line: `line ${from + i}` }));
  agent.send('output', { command_id: id, lines: lines(0, 20) });
  await agent.close();
  agent = await connectAgent(t.wsUrl, 'resend-01', { protocol_version: 1, running: { command_id: id, command: 'switch', pid: 99 } });
  agent.send('output', { command_id: id, lines: lines(10, 30) });
  agent.send('output', { command_id: id, lines: lines(35, 40) });
  agent.send('status', { status: 'ok', command: 'switch', command_id: id, exit_code: 0, message: '' });
  const { commands } = t.dashboard.context.hub.parts;
  await eventually(() => (commands.get(id)?.status === 'succeeded' ? true : undefined), 2000, 'succeeded');
  const { lines: stored } = await fetchOutput(id);
  assert.deepEqual(stored.map((l) => l.seq), Array.from({ length: 36 }, (_, i) => i));
  assert.deepEqual(stored.slice(0, 30).map((l) => l.line), lines(0, 30).map((l) => l.line));
  assert.match(stored[30]?.line ?? '', /5 output lines .* never reached the dashboard/);
  assert.equal(stored[30]?.stream, 'stderr');
  assert.deepEqual(stored.slice(31).map((l) => l.line), lines(35, 40).map((l) => l.line));
  await agent.close();
});

test('a long output is replayed in pages: more is set until the last line', async () => {
  const agent = await connectAgent(t.wsUrl, 'long-01');
  const id = await startCommand('long-01');
  await agent.next('command');
  for (let from = 0; from < 12_000; from += 1000) {
    agent.send('output', { command_id: id, lines: Array.from({ length: 1000 }, (_, i) => ({ seq: from + i, stream: 'stdout', line: `l${from + i}` })) });
  }
  const commands = t.dashboard.context.hub.parts.commands;
  await eventually(() => (commands.get(id)?.output_lines === 12_000 ? true : undefined), 5000, '12,000 lines');
  // Connected after the last line, so every command_output it gets is a replay.
  const browser = await connectBrowser(t.wsUrl, session);
  const seen: number[] = [];
  let from = 0;
  for (;;) {
    browser.send('get_output', { command_id: id, from_seq: from });
    const page = await browser.next((m) => m.type === 'command_output' && m.payload.command_id === id);
    const lines = page.payload.lines as Line[];
    seen.push(...lines.map((l) => l.seq));
    if (!page.payload.more) break;
    from = (lines[lines.length - 1]?.seq ?? from) + 1;
  }
  assert.equal(seen.length, 12_000);
  assert.ok(seen.every((seq, i) => seq === i));
  await Promise.all([agent.close(), browser.close()]);
});

test('get_output for an unknown command answers an error', async () => {
  const browser = await connectBrowser(t.wsUrl, session);
  browser.send('get_output', { command_id: 'nope' });
  const error = await browser.next('error');
  assert.equal(error.payload.code, 'unknown_command');
  await browser.close();
});

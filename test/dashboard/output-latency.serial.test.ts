// Scenario 6, the latency bound: 1,000 lines reach 3 browsers in order, gap-free, each well under
// 100 ms on loopback. Alone in its file, so that no other test shares this process while it measures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, sendCommand, startTestDashboard, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, type TestSocket } from '../helpers/sockets.js';

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

function linesOf(browser: TestSocket, commandId: string): (Line & { at: number })[] {
  return browser.messages
    .filter((m) => m.type === 'command_output' && m.payload.command_id === commandId)
    .flatMap((m) => (m.payload.lines as Line[]).map((l) => ({ ...l, at: m.receivedAt })));
}

async function startCommand(host: string): Promise<string> {
  const { status, body } = await sendCommand(t.url, session, host, 'switch');
  assert.equal(status, 202);
  return String(body.command_id);
}

/** This machine is shared: a run may be starved of CPU. A real delay in the dashboard fails every attempt. */
const ATTEMPTS = 3;
const BOUND_MS = 100;

/** Streams 1,000 lines to three browsers; asserts order and completeness; returns the slowest line's latency. */
async function streamOnce(attempt: number): Promise<number> {
  const host = `latency-${attempt}`;
  const agent = await connectAgent(t.wsUrl, host);
  const browsers = await Promise.all([1, 2, 3].map(() => connectBrowser(t.wsUrl, session)));
  const id = await startCommand(host);
  await agent.next('command');
  const sentAt = new Map<number, number>();
  for (let batch = 0; batch < 100; batch++) {
    const lines = Array.from({ length: 10 }, (_, i) => {
      const seq = batch * 10 + i;
      return { seq, stream: seq % 7 === 0 ? 'stderr' : 'stdout', line: `building derivation ${seq}` };
    });
    const now = performance.now();
    for (const l of lines) sentAt.set(l.seq, now);
    agent.send('output', { command_id: id, lines });
    await new Promise((r) => setTimeout(r, 1));
  }
  let slowest = 0;
  for (const browser of browsers) {
    await browser.until(() => (linesOf(browser, id).length >= 1000 ? true : undefined), 10_000, '1000 lines');
    const got = linesOf(browser, id);
    assert.deepEqual(
      got.map((l) => l.seq),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.equal(got[7]?.stream, 'stderr');
    assert.equal(got[999]?.line, 'building derivation 999');
    for (const l of got) slowest = Math.max(slowest, l.at - (sentAt.get(l.seq) ?? 0));
  }
  await Promise.all([agent.close(), ...browsers.map((b) => b.close())]);
  return slowest;
}

test('1,000 v1 lines reach 3 browsers in order, gap-free, each well under 100 ms', async () => {
  const slowest: number[] = [];
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    slowest.push(await streamOnce(attempt));
    if ((slowest.at(-1) ?? Infinity) < BOUND_MS) break;
  }
  const best = Math.min(...slowest);
  assert.ok(best < BOUND_MS, `slowest line per attempt: ${slowest.map((ms) => ms.toFixed(1)).join(', ')} ms`);
});

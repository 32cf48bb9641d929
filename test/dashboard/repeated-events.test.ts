// The rules of repeated events, on a mocked clock: the first is recorded, repeats from the same source
// only count, and the count is recorded once per window, when the reason changes, or at a flush.
import { test, mock, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { describeWindow, REPEAT_WINDOW_MS, RepeatedEvents, repeatSummary } from '../../src/dashboard/repeated-events.js';
import type { EventLevel } from '../../src/protocol/model.js';

interface Recorded {
  level: EventLevel;
  message: string;
  hostId: string | null;
}

const WINDOW_MS = 60_000;
const REFUSED = 'agent from 192.0.2.7 refused as web-01: this token belongs to host db-01';

function setup(windowMs = WINDOW_MS): { repeats: RepeatedEvents; recorded: Recorded[]; messages: () => string[] } {
  mock.timers.enable({ apis: ['setTimeout'] });
  const recorded: Recorded[] = [];
  const repeats = new RepeatedEvents((level, message, hostId) => recorded.push({ level, message, hostId }), windowMs);
  return { repeats, recorded, messages: () => recorded.map((r) => r.message) };
}

afterEach(() => mock.timers.reset());

test('the first is recorded at once; repeats within the window only count; the count is recorded when the window ends', () => {
  const { repeats, messages } = setup();
  repeats.report('agent 192.0.2.7 as web-01', 'warn', REFUSED);
  assert.deepEqual(messages(), [REFUSED]);
  for (let i = 0; i < 36; i++) {
    mock.timers.tick(WINDOW_MS / 40);
    repeats.report('agent 192.0.2.7 as web-01', 'warn', REFUSED);
  }
  assert.deepEqual(messages(), [REFUSED], 'nothing more while the window is open');
  mock.timers.tick(WINDOW_MS);
  assert.deepEqual(messages(), [REFUSED, `${REFUSED} (repeated 36 more times in the last 1 min)`]);
});

test('a problem that lasts gives one summary per window; a quiet window ends it, and the next time is new', () => {
  const { repeats, messages } = setup();
  const source = 'agent 192.0.2.7 token';
  repeats.report(source, 'warn', 'refused');
  for (let window = 0; window < 3; window++) {
    for (let i = 0; i < 5; i++) repeats.report(source, 'warn', 'refused');
    mock.timers.tick(WINDOW_MS);
  }
  const summary = 'refused (repeated 5 more times in the last 1 min)';
  assert.deepEqual(messages(), ['refused', summary, summary, summary]);
  mock.timers.tick(WINDOW_MS); // a window with no repeat: nothing to say, and the source is forgotten
  assert.equal(messages().length, 4);
  repeats.report(source, 'warn', 'refused');
  assert.deepEqual(messages().slice(4), ['refused'], 'after a quiet window it is recorded again at once');
});

test('a different message from the same source records the count of the old one first, then itself', () => {
  const { repeats, messages } = setup();
  const source = 'agent 192.0.2.7 as web-01';
  const ownToken = 'agent from 192.0.2.7 refused as web-01: host web-01 has its own token; the shared token cannot register it';
  repeats.report(source, 'warn', REFUSED);
  repeats.report(source, 'warn', REFUSED);
  repeats.report(source, 'warn', ownToken);
  assert.deepEqual(messages(), [REFUSED, `${REFUSED} (repeated 1 more time in the last 1 min)`, ownToken]);
  mock.timers.tick(WINDOW_MS);
  assert.equal(messages().length, 3, 'the new one had no repeats');
});

test('sources are counted apart: two misconfigured agents each get their first event and their own count', () => {
  const { repeats, messages } = setup();
  for (let i = 0; i < 3; i++) {
    repeats.report('agent 192.0.2.7 token', 'warn', 'unknown token from 192.0.2.7');
    repeats.report('agent 192.0.2.8 token', 'warn', 'unknown token from 192.0.2.8');
  }
  assert.deepEqual(messages(), ['unknown token from 192.0.2.7', 'unknown token from 192.0.2.8']);
  mock.timers.tick(WINDOW_MS);
  assert.deepEqual(messages().slice(2).sort(), [
    'unknown token from 192.0.2.7 (repeated 2 more times in the last 1 min)',
    'unknown token from 192.0.2.8 (repeated 2 more times in the last 1 min)',
  ]);
});

test('flush records every open count with its level and host, and leaves no timer behind', () => {
  const { repeats, recorded } = setup();
  repeats.report('a', 'warn', 'first', 'web-01');
  repeats.report('a', 'warn', 'first', 'web-01');
  repeats.report('b', 'info', 'second');
  repeats.flush();
  assert.deepEqual(recorded, [
    { level: 'warn', message: 'first', hostId: 'web-01' },
    { level: 'info', message: 'second', hostId: null },
    { level: 'warn', message: 'first (repeated 1 more time in the last 1 min)', hostId: 'web-01' },
  ]);
  mock.timers.tick(10 * WINDOW_MS);
  assert.equal(recorded.length, 3);
});

test('the default window is ten minutes, and the summary says so', () => {
  assert.equal(REPEAT_WINDOW_MS, 600_000);
  assert.equal(repeatSummary('refused', 37, REPEAT_WINDOW_MS), 'refused (repeated 37 more times in the last 10 min)');
  assert.equal(describeWindow(30_000), '30 s');
  assert.equal(describeWindow(250), '250 ms');
});

// Output arrives from the live stream and from replays, overlapping and out of order; the book
// merges it by seq into one gap-free log and asks for what is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserToDashboardMessage } from '../../../src/protocol/browser.js';
import type { OutputLine } from '../../../src/protocol/model.js';
import { OutputBook } from '../../../src/web/state/output-book.js';

const lines = (from: number, count: number): OutputLine[] =>
  Array.from({ length: count }, (_, i) => ({ seq: from + i, stream: 'stdout' as const, line: `line ${from + i}` }));

function book(open = true) {
  const sent: BrowserToDashboardMessage[] = [];
  const state = { open };
  const outputs = new OutputBook((message) => {
    if (!state.open) return false;
    sent.push(message);
    return true;
  });
  const replayFrom = () => sent.filter((m) => m.type === 'get_output').map((m) => (m.type === 'get_output' ? m.payload.from_seq : -1));
  return { outputs, sent, state, replayFrom };
}

const live = (commandId: string, from: number, count: number) => ({ host_id: 'h', command_id: commandId, command: 'switch', lines: lines(from, count) });
const replay = (commandId: string, from: number, count: number, more: boolean) => ({ ...live(commandId, from, count), more });

test('following a command asks for its output from the first line', () => {
  const { outputs, replayFrom } = book();
  outputs.follow('c1');
  assert.deepEqual(replayFrom(), [0]);
});

test('live lines that arrive before the replay wait for it; overlaps are dropped; the log has no holes', () => {
  const { outputs } = book();
  const buffer = outputs.follow('c1');
  outputs.receive(live('c1', 8, 4));
  assert.equal(buffer.lines.length, 0);
  outputs.receive(replay('c1', 0, 10, false));
  assert.deepEqual(
    buffer.lines.map((l) => l.seq),
    Array.from({ length: 12 }, (_, i) => i),
  );
  outputs.receive(live('c1', 11, 2));
  assert.equal(buffer.lines.length, 13);
  assert.equal(buffer.text().split('\n').at(-1), 'line 12');
});

test('a replay that stopped at its limit is continued from the next seq', () => {
  const { outputs, replayFrom } = book();
  outputs.follow('c1');
  outputs.receive(replay('c1', 0, 5000, true));
  outputs.receive(replay('c1', 5000, 5000, true));
  outputs.receive(replay('c1', 10000, 10, false));
  assert.deepEqual(replayFrom(), [0, 5000, 10000]);
  assert.equal(outputs.get('c1')?.lines.length, 10010);
});

test('a hole in the live stream is filled by asking from the first missing seq', () => {
  const { outputs, replayFrom } = book();
  outputs.follow('c1');
  outputs.receive(replay('c1', 0, 3, false));
  outputs.receive(live('c1', 5, 1));
  assert.deepEqual(replayFrom(), [0, 3]);
});

test('replays asked on a socket that closed are asked again after the reconnect, from where the log stops', () => {
  const { outputs, replayFrom, state } = book();
  outputs.follow('c1');
  outputs.receive(replay('c1', 0, 7, true));
  outputs.connectionLost();
  state.open = false;
  outputs.resume();
  state.open = true;
  outputs.resume();
  assert.deepEqual(replayFrom(), [0, 7, 7]);
});

test('output of commands nobody follows is not kept', () => {
  const { outputs } = book();
  outputs.receive(live('c9', 0, 3));
  assert.equal(outputs.get('c9'), undefined);
  outputs.follow('c1');
  outputs.unfollow('c1');
  outputs.receive(live('c1', 0, 3));
  assert.equal(outputs.get('c1'), undefined);
});

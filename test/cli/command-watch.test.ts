// How one followed command's output is printed: every line once, in seq order, whichever way it came
// (a replay, live frames, both overlapping, in any order), and the end only once every line stored
// before it was printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandWatch } from '../../src/cli/command-watch.js';
import type { Command, OutputLine } from '../../src/protocol/model.js';

function lines(from: number, to: number): OutputLine[] {
  return Array.from({ length: to - from }, (_, i) => ({ seq: from + i, stream: 'stdout' as const, line: `line ${from + i}` }));
}

function record(status: Command['status'], outputLines: number): Command {
  return {
    id: 'c1',
    host_id: 'web-01',
    command: 'switch',
    status,
    exit_code: status === 'succeeded' ? 0 : null,
    message: '',
    created_at: '2026-01-01T00:00:00.000Z',
    started_at: null,
    finished_at: null,
    output_lines: outputLines,
    expires_at: null,
  };
}

/** A watch whose printed lines and replay requests are recorded. */
function watch(startSeq = 0) {
  const printed: number[] = [];
  const replays: number[] = [];
  const w = new CommandWatch('c1', { print: (ls) => printed.push(...ls.map((l) => l.seq)), requestReplay: (from) => replays.push(from) }, startSeq);
  return { w, printed, replays };
}

/** How the command ended, as far as the watch has told (a function: an assert must not narrow it for good). */
const endOf = (w: CommandWatch) => w.ended?.status ?? null;

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test('live lines that overtake the replay wait for it; overlapping lines print once', () => {
  const { w, printed, replays } = watch();
  w.resume();
  assert.deepEqual(replays, [0]);
  w.onLive(lines(5, 8));
  assert.deepEqual(printed, [], 'nothing before line 0');
  w.onReplay(lines(0, 7), false);
  assert.deepEqual(printed, range(0, 8));
  w.onLive(lines(6, 10));
  assert.deepEqual(printed, range(0, 10), 'repeats dropped');
  assert.deepEqual(replays, [0], 'no second replay needed');
});

test('a replay that says more is asked again from the next line', () => {
  const { w, printed, replays } = watch();
  w.resume();
  w.onReplay(lines(0, 5000), true);
  assert.deepEqual(replays, [0, 5000]);
  w.onReplay(lines(5000, 5003), false);
  assert.equal(printed.length, 5003);
});

test('the end waits for the lines stored before it, which a replay asked after the end brings', async () => {
  const { w, printed, replays } = watch();
  w.resume();
  w.onReplay(lines(0, 3), false);
  w.onRecord(record('succeeded', 6));
  assert.equal(w.ended, null, 'lines 3-5 are still on their way');
  assert.deepEqual(replays, [0, 3]);
  w.onLive(lines(3, 5));
  assert.equal(w.ended, null);
  w.onReplay(lines(3, 6), false);
  assert.deepEqual(printed, range(0, 6));
  assert.equal((await w.done()).status, 'succeeded');
});

test('an end whose lines have all been printed ends at once; running records change nothing', async () => {
  const { w, replays } = watch();
  w.resume();
  w.onRecord(record('running', 0));
  w.onReplay(lines(0, 2), false);
  w.onLive(lines(2, 4));
  assert.equal(w.ended, null);
  w.onRecord(record('failed', 4));
  assert.equal(endOf(w), 'failed');
  assert.deepEqual(replays, [0]);
  assert.equal((await w.done()).status, 'failed');
  w.onRecord(record('succeeded', 4));
  assert.equal(endOf(w), 'failed', 'the first end stays');
});

test('lost ends the wait, as it ends a rollout step', () => {
  const { w } = watch();
  w.resume();
  w.onReplay([], false);
  w.onRecord(record('lost', 0));
  assert.equal(endOf(w), 'lost');
});

test('one replay at a time: a need while one is in flight is asked once it is answered', () => {
  const { w, replays } = watch();
  w.resume();
  w.onRecord(record('succeeded', 10));
  assert.deepEqual(replays, [0], 'the first replay is still in flight');
  w.onReplay(lines(0, 4), false);
  assert.deepEqual(replays, [0, 4], 'asked again: the first answer may predate the end');
  w.onReplay(lines(4, 10), false);
  assert.equal(endOf(w), 'succeeded');
});

test('lines the dashboard no longer has (past retention) do not hold the end for ever', () => {
  const { w, printed } = watch();
  w.resume();
  w.onRecord(record('succeeded', 8));
  w.onReplay([], false);
  assert.equal(w.ended, null, 'that answer was asked for before the end was known');
  w.onReplay([], false);
  assert.equal(endOf(w), 'succeeded', 'the answer asked after the end is the last word');
  assert.deepEqual(printed, []);
});

test('after a reconnect the request on the old socket is forgotten and output resumes from the next line', () => {
  const { w, printed, replays } = watch(3);
  w.resume();
  assert.deepEqual(replays, [3], 'lines before startSeq were printed by the caller');
  w.onLive(lines(3, 5));
  w.resume(true);
  assert.deepEqual(replays, [3, 5]);
  w.onReplay(lines(5, 7), false);
  assert.deepEqual(printed, range(3, 7));
});

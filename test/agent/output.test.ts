// Output lines: how a byte stream is cut into lines, and how lines are numbered, kept and resent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, MAX_LINE_CHARS } from '../../src/agent/output/line-splitter.js';
import { OutputSpool, droppedLinesNotice } from '../../src/agent/output/spool.js';
import { decodeInbound } from '../../src/agent/connection/inbound.js';

function split(chunks: (string | Buffer)[], maxChars?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxChars);
  for (const chunk of chunks) splitter.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  splitter.end();
  return lines;
}

test('lines are cut at newlines (LF or CRLF) wherever the chunks happen to end; an unterminated last line still counts', () => {
  assert.deepEqual(split(['a\nb', 'c\r\n', '\nd']), ['a', 'bc', '', 'd']);
  assert.deepEqual(split(['only\n']), ['only']);
});

test('a multi-byte character split between two chunks arrives whole', () => {
  const bytes = Buffer.from('grüße ✓\n');
  assert.deepEqual(split([bytes.subarray(0, 3), bytes.subarray(3, 10), bytes.subarray(10)]), ['grüße ✓']);
});

test('a line longer than the limit is cut into pieces, and an endless line is emitted before it ends', () => {
  assert.deepEqual(split(['x'.repeat(25) + '\n'], 10), ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  splitter.write(Buffer.alloc(3 * MAX_LINE_CHARS + 5, 'y'));
  assert.equal(lines.length, 3, 'full pieces go out while the line continues');
  assert.ok(lines.every((line) => line.length === MAX_LINE_CHARS));
  // A surrogate pair at the cut stays together.
  assert.deepEqual(split(['abc😀def\n'], 4), ['abc', '😀de', 'f']);
});

test('lines are numbered when first sent, from the command\'s base; unconfirmed ones are resent with the same seq', () => {
  const spool = new OutputSpool(1_000, 7);
  for (let i = 0; i < 5; i++) spool.push('stdout', `l${i}`);
  const first = spool.take(3, 1_000_000, 100);
  assert.deepEqual(first.map((l) => l.seq), [7, 8, 9]);
  spool.delivered(8);
  spool.rewind();
  const again = spool.take(10, 1_000_000, 100);
  assert.deepEqual(again.map((l) => [l.seq, l.line]), [[9, 'l2'], [10, 'l3'], [11, 'l4']]);
  spool.delivered(11);
  assert.equal(spool.settled, true);
});

test('new lines wait while too many are unconfirmed, and a frame stays under its byte budget', () => {
  const spool = new OutputSpool(1_000);
  for (let i = 0; i < 10; i++) spool.push('stdout', 'z'.repeat(100));
  assert.equal(spool.take(64, 1_000_000, 4).length, 4);
  assert.equal(spool.take(64, 1_000_000, 4).length, 0);
  spool.delivered(3);
  assert.equal(spool.take(64, 700, 100).length, 2, 'two lines of ~350 bytes fit in 700');
});

test('past its bound the spool drops the oldest unsent lines for one notice, numbered like any line: no gap', () => {
  const spool = new OutputSpool(100);
  for (let i = 1; i <= 250; i++) spool.push('stdout', `line ${i}`);
  const lines = spool.take(1_000, 10_000_000, 1_000);
  assert.deepEqual(lines.map((l) => l.seq), Array.from({ length: 101 }, (_, i) => i));
  assert.deepEqual(lines[0], { seq: 0, stream: 'stderr', line: droppedLinesNotice(150, 100) });
  assert.equal(lines[1]?.line, 'line 151');
  assert.equal(lines.at(-1)?.line, 'line 250');
});

test('a command the agent does not know still decodes, with its id, so it can be answered; a bad kill_command does not', () => {
  const unknown = decodeInbound(JSON.stringify({ type: 'command', payload: { command: 'defragment', command_id: 'c-1' } }));
  assert.deepEqual(unknown, { ok: true, message: { type: 'unknown_command', payload: { command: 'defragment', command_id: 'c-1' } } });
  const known = decodeInbound(JSON.stringify({ type: 'command', payload: { command: 'switch', command_id: 'c-2' } }));
  assert.equal(known.ok && known.message.type, 'command');
  const badKill = decodeInbound(JSON.stringify({ type: 'kill_command', payload: { signal: 'SIGHUP', pid: 0, command_id: 'c-3' } }));
  assert.equal(badKill.ok, false);
});

// The load generator reads the dashboard's output frames from their bytes (bench/frame-reading.ts):
// every line of a frame is found, with its seq and the time stamp its text starts with, whatever the
// number of lines, and a frame that is not command_output is left to the other readers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberAt, OutputFrameReader } from '../../bench/frame-reading.js';
import { line } from '../../bench/sim-agent.js';

/** A command_output message as the dashboard serializes it (fanout.ts: type, then the batch). */
const outputFrame = (commandId: string, lines: { seq: number; stream: string; line: string }[]) =>
  Buffer.from(JSON.stringify({ type: 'command_output', payload: { host_id: 'bench-0001', command_id: commandId, command: 'switch', lines } }));

/** The frame's command and its lines' seq and send time (to the microsecond: the stamps have three decimals). */
function readAll(reader: OutputFrameReader, frame: Buffer): { commandId: string; lines: [number, number][] } | null {
  if (!reader.start(frame)) return null;
  const lines: [number, number][] = [];
  while (reader.nextLine()) lines.push([reader.seq, Math.round(reader.sentAt * 1000)]);
  return { commandId: reader.commandId, lines };
}

test('every line of an output frame is read with its seq and its send time, frame after frame', () => {
  const reader = new OutputFrameReader();
  const texts = [line(100), line(100), line(100)];
  const stamps = texts.map((text) => Math.round(Number(text.split(' ')[0]) * 1000));
  const three = outputFrame('cmd-a', texts.map((text, i) => ({ seq: 40 + i, stream: i === 1 ? 'stderr' : 'stdout', line: text })));
  assert.deepEqual(readAll(reader, three), { commandId: 'cmd-a', lines: [[40, stamps[0]], [41, stamps[1]], [42, stamps[2]]] });

  // The dashboard's own line for a gap has no stamp: it counts, untimed.
  const gap = outputFrame('cmd-b', [
    { seq: 7, stream: 'stderr', line: '[nixfleet] 2 output lines of this command never reached the dashboard' },
    { seq: 8, stream: 'stdout', line: texts[0] as string },
  ]);
  const read = readAll(reader, gap);
  assert.equal(read?.commandId, 'cmd-b');
  assert.equal(read?.lines.length, 2);
  assert.ok(Number.isNaN(read?.lines[0]?.[1]));
  assert.deepEqual(read?.lines[1], [8, stamps[0]]);

  // The same command again yields the same id; a frame with no lines yields none.
  assert.deepEqual(readAll(reader, outputFrame('cmd-a', [])), { commandId: 'cmd-a', lines: [] });
});

test('frames that are not command output are not read as output', () => {
  const reader = new OutputFrameReader();
  const update = Buffer.from(JSON.stringify({ type: 'host_update', payload: { host: { id: 'h1', metrics: { load: 1.5 } } }, version: 9 }));
  assert.equal(reader.start(update), false);
  assert.equal(reader.start(Buffer.from('{"type":"command_output","payload":{}}')), false, 'no command id');
  assert.equal(reader.start(Buffer.from('{"type":"comm')), false, 'shorter than the prefix');
});

test('numbers are read with their fraction, and a place without digits is NaN', () => {
  const bytes = Buffer.from('x 1795976388801.125 42, .5 7. -');
  assert.equal(numberAt(bytes, 2), 1795976388801.125);
  assert.equal(numberAt(bytes, 20), 42);
  assert.equal(numberAt(bytes, 24), 0.5);
  assert.equal(numberAt(bytes, 27), 7);
  assert.ok(Number.isNaN(numberAt(bytes, 30)));
  assert.ok(Number.isNaN(numberAt(bytes, 1)));
});

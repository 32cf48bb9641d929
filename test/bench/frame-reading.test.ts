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

type Line = { seq: number; stream: string; line: string };
const payloadOf = (commandId: string, lines: Line[]) => ({ host_id: 'bench-0001', command_id: commandId, command: 'switch', lines });

/** An output_batch as the dashboard puts it together (fanout.ts: the command_output payloads in order). */
const batchFrame = (outputs: [string, Line[]][]) =>
  Buffer.from(JSON.stringify({ type: 'output_batch', payload: { outputs: outputs.map(([id, lines]) => payloadOf(id, lines)) } }));

/** The frame's command and its lines' seq and send time (to the microsecond: the stamps have three decimals). */
function readAll(reader: OutputFrameReader, frame: Buffer): { commandId: string; lines: [number, number][] } | null {
  const all = readEvery(reader, frame);
  assert.ok(all === null || all.length === 1, 'one command in a command_output');
  return all?.[0] ?? null;
}

/** Each command of the frame in order, with its lines. */
function readEvery(reader: OutputFrameReader, frame: Buffer): { commandId: string; lines: [number, number][] }[] | null {
  if (!reader.start(frame)) return null;
  const commands = [];
  do {
    const lines: [number, number][] = [];
    while (reader.nextLine()) lines.push([reader.seq, Math.round(reader.sentAt * 1000)]);
    commands.push({ commandId: reader.commandId, lines });
  } while (reader.nextCommand());
  return commands;
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

test('an output_batch is read command by command, each with only its own lines, in order', () => {
  const reader = new OutputFrameReader();
  const texts = [line(100), line(100), line(100), line(100)];
  const stamps = texts.map((text) => Math.round(Number(text.split(' ')[0]) * 1000));
  const batch = batchFrame([
    ['cmd-1', [{ seq: 3, stream: 'stdout', line: texts[0] as string }, { seq: 4, stream: 'stderr', line: texts[1] as string }]],
    ['cmd-2', [{ seq: 0, stream: 'stdout', line: '[nixfleet] 1 output line of this command never reached the dashboard' }]],
    ['cmd-3', [{ seq: 9, stream: 'stdout', line: texts[2] as string }]],
  ]);
  const read = readEvery(reader, batch);
  assert.deepEqual(read?.map((c) => c.commandId), ['cmd-1', 'cmd-2', 'cmd-3']);
  assert.deepEqual(read?.[0]?.lines, [[3, stamps[0]], [4, stamps[1]]]);
  assert.equal(read?.[1]?.lines.length, 1);
  assert.equal(read?.[1]?.lines[0]?.[0], 0);
  assert.ok(Number.isNaN(read?.[1]?.lines[0]?.[1]));
  assert.deepEqual(read?.[2]?.lines, [[9, stamps[2]]]);

  // The next frame, a command_output, after a batch: one command, nothing carried over.
  const single = outputFrame('cmd-2', [{ seq: 1, stream: 'stdout', line: texts[3] as string }]);
  assert.deepEqual(readAll(reader, single), { commandId: 'cmd-2', lines: [[1, stamps[3]]] });
  assert.equal(reader.nextCommand(), false);
});

test('frames that are not command output are not read as output', () => {
  const reader = new OutputFrameReader();
  const update = Buffer.from(JSON.stringify({ type: 'host_update', payload: { host: { id: 'h1', metrics: { load: 1.5 } } }, version: 9 }));
  assert.equal(reader.start(update), false);
  assert.equal(reader.start(Buffer.from('{"type":"command_output","payload":{}}')), false, 'no command id');
  assert.equal(reader.start(Buffer.from('{"type":"comm')), false, 'shorter than the prefix');
  assert.equal(reader.start(Buffer.from('{"type":"output_batch","payload":{"outputs":[]}}')), false, 'an empty batch');
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

// An instance of a cluster compresses an init once while the leader sends it the same bytes again,
// and again when the bytes change or the kept one was let go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { LastInit } from '../../../src/dashboard/cluster/last-init.js';

/** The message inside one compressed WebSocket text frame (permessage-deflate). */
function inflateFrame(frame: Buffer): string {
  assert.equal(frame[0], 0xc1, 'FIN, RSV1 (compressed) and text');
  const short = (frame[1] as number) & 0x7f;
  const start = short === 126 ? 4 : short === 127 ? 10 : 2;
  const stream = Buffer.concat([frame.subarray(start), Buffer.from([0, 0, 0xff, 0xff])]);
  return zlib.inflateRawSync(stream, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
}

/** An init of some kilobytes; different generations give different bytes of the same length. */
const initOf = (generation: string) =>
  Buffer.from(JSON.stringify({ type: 'init', payload: { hosts: Array.from({ length: 200 }, (_, i) => ({ id: `host-${i}`, generation })) } }));

test('the same init bytes again, in a new buffer, are sent with the compressed frame already made', () => {
  const last = new LastInit();
  const first = last.toSend(initOf('a'), 1_000);
  const frame = first.deflatedFrame();
  assert.equal(inflateFrame(frame), initOf('a').toString());
  assert.equal(first.since.length, 0);
  assert.equal(first.sinceFrames.length, 0);
  assert.equal(last.toSend(initOf('a'), 2_000).deflatedFrame(), frame);
});

test('changed init bytes are compressed anew, and the new frame is the one kept', () => {
  const last = new LastInit();
  const before = last.toSend(initOf('a'), 1_000).deflatedFrame();
  const changed = last.toSend(initOf('b'), 2_000).deflatedFrame();
  assert.notEqual(changed, before);
  assert.equal(inflateFrame(changed), initOf('b').toString());
  assert.equal(last.toSend(initOf('b'), 3_000).deflatedFrame(), changed);
});

test('the kept init is let go once older than the age given, counted from when its bytes first came, and when cleared', () => {
  const last = new LastInit();
  const frame = last.toSend(initOf('a'), 1_000).deflatedFrame();
  // Sending it again does not make it younger.
  assert.equal(last.toSend(initOf('a'), 5_000).deflatedFrame(), frame);
  last.clearOlderThan(10_000, 11_000);
  assert.equal(last.toSend(initOf('a'), 11_000).deflatedFrame(), frame);
  last.clearOlderThan(10_000, 11_001);
  const afterAge = last.toSend(initOf('a'), 11_001).deflatedFrame();
  assert.notEqual(afterAge, frame);
  assert.deepEqual(afterAge, frame);
  last.clear();
  assert.notEqual(last.toSend(initOf('a'), 11_002).deflatedFrame(), afterAge);
});

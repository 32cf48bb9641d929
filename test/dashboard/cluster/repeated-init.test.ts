// An instance of a cluster compresses an init once while the leader sends it the same bytes again,
// and again when the bytes change or the last one was let go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { RepeatedInit } from '../../../src/dashboard/cluster/repeated-init.js';

/** The message inside one compressed WebSocket text frame (permessage-deflate). */
function inflateFrame(frame: Buffer): string {
  assert.equal(frame[0], 0xc1, 'FIN, RSV1 (compressed) and text');
  const short = (frame[1] as number) & 0x7f;
  const start = short === 126 ? 4 : short === 127 ? 10 : 2;
  return zlib.inflateRawSync(Buffer.concat([frame.subarray(start), Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
}

const initOf = (generation: string) => Buffer.from(JSON.stringify({ type: 'init', payload: { hosts: Array.from({ length: 200 }, (_, i) => ({ id: `host-${i}`, generation })) } }));

test('the same init bytes sent again share one compressed frame; new bytes get their own', () => {
  const repeated = new RepeatedInit();
  const first = repeated.toSend(initOf('a'), 1_000);
  const frame = first.deflatedFrame();
  assert.equal(inflateFrame(frame), initOf('a').toString());
  assert.equal(first.since.length, 0);
  assert.equal(first.sinceFrames.length, 0);

  // The leader's kept init again, in a new buffer: the frame already made is the one sent.
  assert.equal(repeated.toSend(initOf('a'), 2_000).deflatedFrame(), frame);

  // Something changed: compressed anew, and the new one is kept.
  const changed = repeated.toSend(initOf('b'), 3_000).deflatedFrame();
  assert.notEqual(changed, frame);
  assert.equal(inflateFrame(changed), initOf('b').toString());
  assert.equal(repeated.toSend(initOf('b'), 4_000).deflatedFrame(), changed);

  // Kept only while young enough, and never across a release.
  repeated.release(10_000, 12_000);
  assert.equal(repeated.toSend(initOf('b'), 12_000).deflatedFrame(), changed);
  repeated.release(10_000, 13_001);
  const afterAge = repeated.toSend(initOf('b'), 13_001).deflatedFrame();
  assert.notEqual(afterAge, changed);
  assert.deepEqual(afterAge, changed);
  repeated.release();
  assert.notEqual(repeated.toSend(initOf('b')).deflatedFrame(), afterAge);
});

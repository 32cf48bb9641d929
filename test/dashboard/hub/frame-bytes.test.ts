// Frames the fan-out encodes once are valid WebSocket text frames at every length boundary, as the
// ws receiver that browsers' peers use reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Receiver } from 'ws';
import { encodeTextFrames } from '../../../src/dashboard/hub/frame-bytes.js';

test('frames of 0, 125, 126, 65,535, 65,536 and 200,000 bytes decode back to the same messages, in order', async () => {
  const lengths = [0, 1, 125, 126, 127, 65_535, 65_536, 200_000];
  // Two-byte characters: the length in the header must count bytes, not characters.
  const payloads = lengths.map((n) => Buffer.from('é'.repeat(Math.floor(n / 2)) + (n % 2 ? 'x' : '')));
  assert.deepEqual(payloads.map((p) => p.length), lengths);
  const received: string[] = [];
  const receiver = new Receiver({ isServer: false, maxPayload: 0 });
  receiver.on('message', (data: Buffer, isBinary: boolean) => {
    assert.equal(isBinary, false);
    received.push(data.toString());
  });
  const errors: Error[] = [];
  receiver.on('error', (err: Error) => errors.push(err));
  await new Promise<void>((resolve) => receiver.write(encodeTextFrames(payloads), () => resolve()));
  assert.deepEqual(errors, []);
  assert.deepEqual(received, payloads.map((p) => p.toString()));
});

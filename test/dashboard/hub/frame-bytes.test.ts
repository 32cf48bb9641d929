// Frames the fan-out encodes once and writes straight to a connection's TCP socket are valid
// WebSocket text frames at every length boundary, as a real ws client reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket, { WebSocketServer } from 'ws';
import { encodeTextFrames } from '../../../src/dashboard/hub/frame-bytes.js';

test('frames of 0, 125, 126, 65,535, 65,536 and 200,000 bytes arrive as the same messages, in order', async () => {
  const lengths = [0, 1, 125, 126, 127, 65_535, 65_536, 200_000];
  // Two-byte characters: the length in the header must count bytes, not characters.
  const payloads = lengths.map((n) => Buffer.from('é'.repeat(Math.floor(n / 2)) + (n % 2 ? 'x' : '')));
  assert.deepEqual(payloads.map((p) => p.length), lengths);

  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (_socket, request) => request.socket.write(encodeTextFrames(payloads)));
  const { port } = server.address() as { port: number };
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const received: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      client.on('message', (data, isBinary) => {
        assert.equal(isBinary, false);
        received.push(data.toString());
        if (received.length === payloads.length) resolve();
      });
      client.on('error', reject);
      client.on('close', (code) => reject(new Error(`closed with ${code}`)));
    });
  } finally {
    client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
  assert.deepEqual(received, payloads.map((p) => p.toString()));
});

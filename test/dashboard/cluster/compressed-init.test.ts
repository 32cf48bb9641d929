// A cluster's instances answer permessage-deflate as a single dashboard does: a browser that offers
// it reads its init compressed, the same init as a browser without it; an offer that cannot take the
// shared compressed init, or an agent's, is answered without compression, never refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from '../../helpers/cluster.js';
import { login } from '../../helpers/dashboard.js';
import { connectAgent, connectBrowser, heartbeatPayload, type Message } from '../../helpers/sockets.js';

const withoutReceivedAt = ({ receivedAt: _, ...content }: Message) => content;

test('browsers on every instance of a cluster read their init compressed when they offer it', async (t) => {
  const cluster = await TestCluster.create(t);
  if (!cluster) return;
  const [leader, follower] = await cluster.startPair();
  // Hosts enough for an init of tens of kilobytes, half of them on each instance.
  const agents = await Promise.all(
    Array.from({ length: 30 }, (_, i) => connectAgent((i % 2 === 0 ? leader : follower).wsUrl, `cluster-deflate-${String(i).padStart(2, '0')}`)),
  );
  t.after(() => Promise.all(agents.map((agent) => agent.close())));

  for (const instance of [follower, leader]) {
    const session = await login(instance.url);
    const plain = await connectBrowser(instance.wsUrl, session, {}, { perMessageDeflate: false });
    const compressed = await connectBrowser(instance.wsUrl, session);
    assert.equal(plain.ws.extensions, '');
    assert.match(compressed.ws.extensions, /permessage-deflate/);
    const plainInit = withoutReceivedAt(plain.ofType('init')[0] as Message);
    const compressedInit = withoutReceivedAt(compressed.ofType('init')[0] as Message);
    assert.equal((plainInit.payload.hosts as unknown[]).length, 30);
    assert.deepEqual(compressedInit.payload.hosts, plainInit.payload.hosts);
    const initBytes = Buffer.byteLength(JSON.stringify(plainInit));
    assert.ok(initBytes > 20_000, `an init of ${initBytes} bytes`);
    // The upgrade's answer and the init are all either socket has read so far.
    assert.ok(plain.tcp.bytesRead > initBytes, `${plain.tcp.bytesRead} bytes read without compression`);
    assert.ok(compressed.tcp.bytesRead < initBytes / 4, `${compressed.tcp.bytesRead} bytes read for an init of ${initBytes}`);

    // What follows the init reaches both alike, uncompressed, in the same versions.
    agents[1]?.send('heartbeat', heartbeatPayload({ generation: `after-deflate-${instance.name}` }));
    const isUpdate = (m: Message) => m.type === 'host_update' && (m.payload.host as { generation: string }).generation === `after-deflate-${instance.name}`;
    const [plainUpdate, compressedUpdate] = await Promise.all([plain.next(isUpdate), compressed.next(isUpdate)]);
    assert.equal(compressedUpdate.version, plainUpdate.version);
    await Promise.all([plain.close(), compressed.close()]);
  }

  // An offer ws cannot parse is answered without compression, not refused; so is an agent's.
  const session = await login(follower.url);
  const malformed = await connectBrowser(follower.wsUrl, session, { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits=7' }, { perMessageDeflate: false });
  assert.equal(malformed.ws.extensions, '');
  assert.equal(((malformed.ofType('init')[0] as Message).payload.hosts as unknown[]).length, 30);
  const agent = await connectAgent(follower.wsUrl, 'cluster-deflate-agent', { protocol_version: 1, running: null }, { perMessageDeflate: true });
  assert.equal(agent.ws.extensions, '');
  await Promise.all([malformed.close(), agent.close()]);
});

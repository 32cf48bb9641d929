// A browser that offers permessage-deflate gets its init compressed (the whole fleet, megabytes at
// 10,000 hosts), the same init a browser without it gets; everything after it goes as before, and an
// agent that offers compression goes without.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, type Session, type TestDashboard, startTestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, heartbeatPayload, type Message, type TestSocket } from '../helpers/sockets.js';

let t: TestDashboard;
let session: Session;
let agents: TestSocket[] = [];

before(async () => {
  t = await startTestDashboard();
  session = await login(t.url);
  // Hosts enough for an init of tens of kilobytes; nothing changes after they registered.
  agents = await Promise.all(Array.from({ length: 30 }, (_, i) => connectAgent(t.wsUrl, `deflate-${String(i).padStart(2, '0')}`)));
});
after(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  await t.close();
});

test('a browser that offers permessage-deflate reads its init compressed, the same init as without', async () => {
  const plain = await connectBrowser(t.wsUrl, session, {}, { perMessageDeflate: false });
  const compressed = await connectBrowser(t.wsUrl, session);
  assert.equal(plain.ws.extensions, '');
  assert.match(compressed.ws.extensions, /permessage-deflate/);

  const plainInit = plain.ofType('init')[0] as Message;
  const compressedInit = compressed.ofType('init')[0] as Message;
  const { receivedAt: _a, ...plainContent } = plainInit;
  const { receivedAt: _b, ...compressedContent } = compressedInit;
  assert.deepEqual(compressedContent, plainContent);
  const initBytes = Buffer.byteLength(JSON.stringify(plainContent));
  assert.ok(initBytes > 20_000, `an init of ${initBytes} bytes`);
  // The upgrade's answer and the init are all either socket has read so far.
  assert.ok(plain.tcp.bytesRead > initBytes, `${plain.tcp.bytesRead} bytes read without compression`);
  assert.ok(compressed.tcp.bytesRead < initBytes / 4, `${compressed.tcp.bytesRead} bytes read for an init of ${initBytes}`);

  // What follows the init reaches both alike, and the compressed one can ask for the state again.
  agents[0]?.send('heartbeat', heartbeatPayload({ generation: 'after-deflate' }));
  const isUpdate = (m: Message) => m.type === 'host_update' && (m.payload.host as { generation: string }).generation === 'after-deflate';
  const [plainUpdate, compressedUpdate] = await Promise.all([plain.next(isUpdate), compressed.next(isUpdate)]);
  assert.equal(compressedUpdate.version, plainUpdate.version);
  compressed.send('get_state', {});
  const again = await compressed.next('init');
  assert.ok((again.payload.hosts as unknown[]).length >= 30);
  await Promise.all([plain.close(), compressed.close()]);
});

test('an agent that offers permessage-deflate is answered without it', async () => {
  const browser = await connectBrowser(t.wsUrl, session);
  const agent = await connectAgent(t.wsUrl, 'deflate-agent', { protocol_version: 1, running: null }, { perMessageDeflate: true });
  assert.equal(agent.ws.extensions, '');
  agent.send('heartbeat', heartbeatPayload({ generation: 'agent-plain' }));
  await browser.next((m) => m.type === 'host_update' && (m.payload.host as { generation: string }).generation === 'agent-plain');
  await Promise.all([agent.close(), browser.close()]);
});

test('a browser whose offer cannot take the shared compressed init gets its socket without compression', async () => {
  // A window smaller than the one the init is compressed with, as ws and some libraries can ask for.
  const smallWindow = await connectBrowser(t.wsUrl, session, {}, { perMessageDeflate: { serverMaxWindowBits: 10 } });
  // An offer ws itself cannot parse: without care it would refuse the upgrade with 400.
  const malformed = await connectBrowser(t.wsUrl, session, { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits=7' }, { perMessageDeflate: false });
  for (const browser of [smallWindow, malformed]) {
    assert.equal(browser.ws.extensions, '');
    const hosts = (browser.ofType('init')[0] as Message).payload.hosts as unknown[];
    assert.ok(hosts.length >= 30);
  }
  await Promise.all([smallWindow.close(), malformed.close()]);
});


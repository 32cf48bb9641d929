// Accepting a burst of connections: the listening socket is watched under several descriptors, so
// the dashboard accepts several connections per turn of the event loop, and the triage lets agents'
// upgrades go to HTTP a few per turn, in order, while every other request goes at once: a page is not
// queued behind a reconnecting fleet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { pino } from 'pino';
import { ConnectionTriage, isAgentUpgrade } from '../../src/dashboard/http/connection-triage.js';
import { acceptWider, EXTRA_ACCEPTORS } from '../../src/dashboard/http/wide-accept.js';
import { API_TOKEN_PREFIX } from '../../src/protocol/constants.js';

const agentRequest = (n: number) => `GET /ws?n=${n} HTTP/1.1\r\nHost: dashboard\r\nUpgrade: websocket\r\nAuthorization: Bearer agent-token-${n}\r\n\r\n`;

test('an agent upgrade is told apart from browsers, API tokens and pages by its first bytes', () => {
  const is = (text: string) => isAgentUpgrade(Buffer.from(text));
  assert.equal(is(agentRequest(1)), true);
  assert.equal(is('GET /ws HTTP/1.1\r\nauthorization: BEARER abc\r\n\r\n'), true, 'header names and the scheme in any case');
  assert.equal(is('GET /ws HTTP/1.1\r\nHost: d\r\nCookie: nixfleet_session=abc\r\n\r\n'), false, 'a browser');
  assert.equal(is(`GET /ws HTTP/1.1\r\nAuthorization: Bearer ${API_TOKEN_PREFIX}secret\r\n\r\n`), false, 'a script with an API token');
  assert.equal(is('GET /api/hosts HTTP/1.1\r\nAuthorization: Bearer agent-token\r\n\r\n'), false, 'not the socket');
  assert.equal(is('GET /wsx HTTP/1.1\r\nAuthorization: Bearer agent-token\r\n\r\n'), false);
  assert.equal(is('\x16\x03\x01\x02\x00'), false, 'bytes that are not HTTP');
});

/** A server whose agent requests each keep its one thread busy for `agentCostMs`, as an upgrade and its register do. */
async function startServer(agentCostMs = 0) {
  const handled: string[] = [];
  const server = http.createServer((request, response) => {
    handled.push(request.url ?? '');
    if (request.url?.startsWith('/ws')) for (const until = performance.now() + agentCostMs; performance.now() < until; );
    response.end('ok');
  });
  const triage = new ConnectionTriage(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const wide = acceptWider(server, pino({ level: 'silent' }), 511);
  assert.equal(await wide.ready, EXTRA_ACCEPTORS, 'the listening socket is watched under several descriptors');
  const port = (server.address() as net.AddressInfo).port;
  const close = async () => {
    const acceptorsClosed = wide.close();
    server.close();
    await once(server, 'close');
    await acceptorsClosed;
  };
  return { server, triage, handled, port, close };
}

/** Opens a connection and writes the request; resolves with the answer's first bytes. */
function request(port: number, text: string, opened: Promise<void>[]): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  opened.push(once(socket, 'connect').then(() => undefined));
  socket.write(text);
  return new Promise((resolve, reject) => {
    socket.once('data', (data) => {
      resolve(data.toString('latin1'));
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

test('a burst of agents waits its turns in order while a page goes at once', async (t) => {
  const { handled, port, close } = await startServer(5);
  t.after(close);
  const opened: Promise<void>[] = [];
  const agents = Array.from({ length: 60 }, (_, n) => request(port, agentRequest(n), opened));
  await Promise.all(opened);
  const page = request(port, 'GET /api/hosts HTTP/1.1\r\nHost: dashboard\r\nCookie: s=1\r\n\r\n', []);
  assert.match(await page, /^HTTP\/1\.1 200/);
  const before = handled.indexOf('/api/hosts');
  await Promise.all(agents);
  const agentsHandled = handled.filter((url) => url.startsWith('/ws'));
  assert.deepEqual(
    agentsHandled,
    Array.from({ length: 60 }, (_, n) => `/ws?n=${n}`),
    'agents in the order they came',
  );
  // A few agents per turn, 5 ms each, and more connections accepted per turn than agents let in: the
  // page, sent once all 60 were connected, did not wait for them all.
  assert.ok(before < 59, `the page was answered with ${before} agents before it, not behind all 60`);
});

test('stopping hands the waiting agents to HTTP, and later connections go straight on', async (t) => {
  const { triage, handled, port, close } = await startServer();
  t.after(close);
  const opened: Promise<void>[] = [];
  const agents = Array.from({ length: 30 }, (_, n) => request(port, agentRequest(n), opened));
  await Promise.all(opened);
  // Until the triage has read them all, some wait.
  while (triage.waitingCount === 0 && handled.length < 30) await new Promise((resolve) => setImmediate(resolve));
  triage.close();
  assert.equal(triage.waitingCount, 0);
  for (const answer of await Promise.all(agents)) assert.match(answer, /^HTTP\/1\.1 200/);
  assert.match(await request(port, agentRequest(99), []), /^HTTP\/1\.1 200/);
  assert.equal(handled.length, 31);
});

test('the copies of the listening socket close with it: the port is free afterwards', async () => {
  const { port, close } = await startServer();
  assert.match(await request(port, 'GET /api HTTP/1.1\r\nHost: d\r\n\r\n', []), /^HTTP\/1\.1 200/);
  await close();
  const refused = await new Promise<string>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => resolve('connected'));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
  assert.equal(refused, 'ECONNREFUSED');
  // And the port can be listened on again at once.
  const again = net.createServer();
  again.listen(port, '127.0.0.1');
  await once(again, 'listening');
  again.close();
});

// Per-host agent tokens: a token registers its own host only, the shared token cannot take a host
// that has one, rotation cuts the agent that used the old one, removal revokes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, startTestDashboard, TEST_AGENT_TOKEN, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectBrowser, registerPayload, TestSocket, upgradeStatus, type Message } from '../helpers/sockets.js';

let t: TestDashboard;
let session: Session;

before(async () => {
  t = await startTestDashboard();
  session = await login(t.url);
});
after(() => t.close());

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${t.url}${path}`, {
    method,
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function agentWith(token: string, hostname: string): Promise<{ socket: TestSocket; reply: Message }> {
  const socket = await TestSocket.connect(t.wsUrl, { authorization: `Bearer ${token}` });
  socket.send('register', registerPayload(hostname, { protocol_version: 1, running: null }));
  const reply = await socket.next((m) => m.type === 'registered' || m.type === 'error');
  return { socket, reply };
}

test('POST /api/hosts creates the host with its own token, shown once; the token registers that host', async () => {
  const browser = await connectBrowser(t.wsUrl, session);
  const created = await api('POST', '/api/hosts', { hostname: 'own-01', location: 'rack 2', theme_color: '#112233' });
  assert.equal(created.status, 201);
  const token = String(created.json.token);
  assert.ok(token.length >= 40);
  assert.equal((created.json.host as { status: string }).status, 'offline');
  const appeared = await browser.next((m) => m.type === 'host_update' && (m.payload.host as { id: string }).id === 'own-01');
  assert.equal((appeared.payload.host as { location: string }).location, 'rack 2');
  assert.equal((await api('POST', '/api/hosts', { hostname: 'own-01' })).status, 409);
  assert.equal((await api('POST', '/api/hosts', { hostname: '../etc' })).status, 400);

  const { socket, reply } = await agentWith(token, 'own-01');
  assert.equal(reply.type, 'registered');
  assert.equal(t.dashboard.context.hub.parts.fleet.get('own-01')?.record.status, 'online');
  await Promise.all([socket.close(), browser.close()]);
});

test('a per-host token cannot register another hostname: error, 1008, and an event', async () => {
  const { json } = await api('POST', '/api/hosts', { hostname: 'own-02' });
  const { socket, reply } = await agentWith(String(json.token), 'someone-else');
  assert.equal(reply.type, 'error');
  assert.equal(reply.payload.code, 'forbidden');
  assert.match(String(reply.payload.message), /belongs to host own-02/);
  assert.equal((await socket.closed).code, 1008);
  assert.equal(t.dashboard.context.hub.parts.fleet.get('someone-else'), undefined);
  const events = (await (await fetch(`${t.url}/api/events`, { headers: { cookie: session.cookie } })).json()) as { events: { message: string }[] };
  assert.ok(events.events.some((e) => /refused as someone-else: this token belongs to host own-02/.test(e.message)));
});

test('the shared token cannot take the slot of a host that has its own token', async () => {
  await api('POST', '/api/hosts', { hostname: 'own-03' });
  const { socket, reply } = await agentWith(TEST_AGENT_TOKEN, 'own-03');
  assert.equal(reply.type, 'error');
  assert.match(String(reply.payload.message), /has its own token/);
  assert.equal((await socket.closed).code, 1008);
});

test('rotating a token disconnects the agent that used the old one, refuses the old token and accepts the new', async () => {
  const { json } = await api('POST', '/api/hosts', { hostname: 'own-04' });
  const oldToken = String(json.token);
  const { socket } = await agentWith(oldToken, 'own-04');
  const rotated = await api('POST', '/api/hosts/own-04/token');
  assert.equal(rotated.status, 200);
  const newToken = String(rotated.json.token);
  assert.notEqual(newToken, oldToken);
  assert.equal((await socket.closed).code, 4004);
  assert.equal(await upgradeStatus(t.wsUrl, { authorization: `Bearer ${oldToken}` }), 401);
  const again = await agentWith(newToken, 'own-04');
  assert.equal(again.reply.type, 'registered');
  await again.socket.close();
  assert.equal((await api('POST', '/api/hosts/no-such-host/token')).status, 404);
});

test('removing a host: 409 while its agent is connected, unless forced; then host_removed and its token is revoked', async () => {
  const { json } = await api('POST', '/api/hosts', { hostname: 'own-05' });
  const token = String(json.token);
  const { socket } = await agentWith(token, 'own-05');
  const browser = await connectBrowser(t.wsUrl, session);
  const refused = await api('DELETE', '/api/hosts/own-05');
  assert.equal(refused.status, 409);
  assert.equal(refused.json.error, 'host_connected');
  assert.equal((await api('DELETE', '/api/hosts/own-05?force=true')).status, 204);
  assert.equal((await socket.closed).code, 4004);
  const removed = await browser.next('host_removed');
  assert.deepEqual(removed.payload, { host_id: 'own-05' });
  assert.equal(typeof removed.version, 'number');
  assert.equal(t.dashboard.context.hub.parts.fleet.get('own-05'), undefined);
  assert.equal(await upgradeStatus(t.wsUrl, { authorization: `Bearer ${token}` }), 401);
  assert.equal((await api('DELETE', '/api/hosts/own-05')).status, 404);
  await browser.close();
});

test('failed agent upgrades are limited per address with 429, while valid tokens still get through', async () => {
  const limited = await startTestDashboard({ NIXFLEET_AGENT_RATE_LIMIT: '3', NIXFLEET_RATE_WINDOW: '1m' });
  try {
    for (let i = 0; i < 3; i++) assert.equal(await upgradeStatus(limited.wsUrl, { authorization: `Bearer wrong-${i}` }), 401);
    assert.equal(await upgradeStatus(limited.wsUrl, { authorization: 'Bearer wrong-again' }), 429);
    assert.equal(await upgradeStatus(limited.wsUrl, { authorization: `Bearer ${TEST_AGENT_TOKEN}` }), 101);
  } finally {
    await limited.close();
  }
});

test('with NIXFLEET_ALLOW_SHARED_AGENT_TOKEN=false the shared token is refused and per-host tokens work', async () => {
  const strict = await startTestDashboard({ NIXFLEET_ALLOW_SHARED_AGENT_TOKEN: 'false' });
  try {
    assert.equal(await upgradeStatus(strict.wsUrl, { authorization: `Bearer ${TEST_AGENT_TOKEN}` }), 401);
    const admin = await login(strict.url);
    const response = await fetch(`${strict.url}/api/hosts`, {
      method: 'POST',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ hostname: 'strict-01' }),
    });
    const { token } = (await response.json()) as { token: string };
    assert.equal(await upgradeStatus(strict.wsUrl, { authorization: `Bearer ${token}` }), 101);
  } finally {
    await strict.close();
  }
});

test('per-host tokens survive a restart, stored only as hashes', async () => {
  const first = await startTestDashboard();
  const admin = await login(first.url);
  const response = await fetch(`${first.url}/api/hosts`, {
    method: 'POST',
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ hostname: 'persist-01' }),
  });
  const { token } = (await response.json()) as { token: string };
  await first.close();
  const { readFileSync, readdirSync } = await import('node:fs');
  const files = readdirSync(first.dataDir).map((f) => readFileSync(`${first.dataDir}/${f}`).toString('latin1')).join('');
  assert.ok(!files.includes(token), 'the token itself is nowhere in the data dir');
  const second = await startTestDashboard({}, first.dataDir);
  try {
    assert.equal(await upgradeStatus(second.wsUrl, { authorization: `Bearer ${token}` }), 101);
  } finally {
    await second.close();
  }
});

test('what the admin set for a host stays when its agent reports those fields empty, and gives way to real values', async () => {
  const { json } = await api('POST', '/api/hosts', { hostname: 'own-06', location: 'rack 9', device_type: 'server', theme_color: '#aa0000' });
  const token = String(json.token);
  const quiet = await TestSocket.connect(t.wsUrl, { authorization: `Bearer ${token}` });
  quiet.send('register', registerPayload('own-06', { location: '', device_type: '', theme_color: '' }));
  await quiet.next('registered');
  const host = t.dashboard.context.hub.parts.fleet.get('own-06')?.record;
  assert.deepEqual([host?.location, host?.device_type, host?.theme_color], ['rack 9', 'server', '#aa0000']);
  await quiet.close();
  const talkative = await TestSocket.connect(t.wsUrl, { authorization: `Bearer ${token}` });
  talkative.send('register', registerPayload('own-06', { location: 'attic' }));
  await talkative.next('registered');
  assert.equal(t.dashboard.context.hub.parts.fleet.get('own-06')?.record.location, 'attic');
  await talkative.close();
});

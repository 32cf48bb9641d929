// API tokens for scripts and CI: made by an admin with a scope, shown once, kept hashed; they work on
// every /api route the scope covers without CSRF (no cookie is involved) and on /ws as a browser;
// revoking one works at once and closes what it opened.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, startTestDashboard, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { connectAgent, TestSocket } from '../helpers/sockets.js';
import { CloseCode } from '../../src/protocol/constants.js';

let t: TestDashboard;
let session: Session;
let agent: TestSocket;

before(async () => {
  t = await startTestDashboard();
  session = await login(t.url);
  agent = await connectAgent(t.wsUrl, 'api-01', { protocol_version: 1, running: null });
});
after(async () => {
  await agent.close();
  await t.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function asAdmin(method: string, route: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { cookie: session.cookie, 'x-csrf-token': session.csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${t.url}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

async function withToken(secret: string, method: string, route: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${secret}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${t.url}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

async function makeToken(name: string, scope: string): Promise<{ id: string; secret: string }> {
  const made = await asAdmin('POST', '/api/tokens', { name, scope });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal(made.headers.get('cache-control'), 'no-store');
  const token = made.body.token as { id: string; scope: string; last_used_at: string | null };
  assert.equal(token.scope, scope);
  assert.equal(token.last_used_at, null);
  return { id: token.id, secret: String(made.body.secret) };
}

test('each scope reaches what it covers and gets 403 naming the scope beyond it; no CSRF for bearer requests', async () => {
  const read = await makeToken('dashboards', 'read');
  const operate = await makeToken('ci deploy', 'operate');
  const admin = await makeToken('terraform', 'admin');
  assert.match(read.secret, /^nfx_[A-Za-z0-9_-]{40,}$/);

  assert.equal((await withToken(read.secret, 'GET', '/api/hosts')).status, 200);
  assert.equal((await withToken(read.secret, 'GET', '/api/events')).status, 200);
  const refused = await withToken(read.secret, 'POST', '/api/hosts/api-01/command', { command: 'pull' });
  assert.equal(refused.status, 403);
  assert.match(String(refused.body.message), /needs the operate scope; the token "dashboards" has read/);

  const sent = await withToken(operate.secret, 'POST', '/api/hosts/api-01/command', { command: 'pull' });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  assert.equal((await agent.next('command')).payload.command, 'pull');
  const notAdmin = await withToken(operate.secret, 'POST', '/api/hosts', { hostname: 'new-01' });
  assert.equal(notAdmin.status, 403);
  assert.match(String(notAdmin.body.message), /needs the admin scope/);
  assert.equal((await withToken(operate.secret, 'GET', '/api/tokens')).status, 403);

  const created = await withToken(admin.secret, 'POST', '/api/hosts', { hostname: 'new-01' });
  assert.equal(created.status, 201);

  const events = (await asAdmin('GET', '/api/events?limit=50')).body.events as { message: string }[];
  assert.ok(events.some((e) => e.message.startsWith('token "ci deploy" at ') && e.message.includes('sent pull to api-01')), 'the event log names the token');
  const listed = (await asAdmin('GET', '/api/tokens')).body.tokens as { name: string; last_used_at: string | null }[];
  assert.deepEqual(listed.map((token) => token.name), ['dashboards', 'ci deploy', 'terraform']);
  assert.ok(listed.every((token) => token.last_used_at !== null), 'last use is recorded');
  assert.ok(!JSON.stringify(listed).includes('nfx_'), 'secrets are never listed');
});

test('a wrong token gets 401 and a session cookie alongside does not rescue it; bad bodies get 400', async () => {
  const wrong = await fetch(`${t.url}/api/hosts`, { headers: { authorization: 'Bearer nfx_not-a-token', cookie: session.cookie } });
  assert.equal(wrong.status, 401);
  assert.equal((await asAdmin('POST', '/api/tokens', { name: 'x', scope: 'root' })).status, 400);
  assert.equal((await asAdmin('POST', '/api/tokens', { name: '', scope: 'read' })).status, 400);
  assert.equal((await asAdmin('POST', '/api/tokens', { name: 'x', scope: 'read', secret: 'mine' })).status, 400);
  const twice = await asAdmin('POST', '/api/tokens', { name: 'dashboards', scope: 'admin' });
  assert.equal(twice.status, 409, 'a name is taken once');
  assert.equal(twice.body.error, 'token_exists');
  const anonymous = await fetch(`${t.url}/api/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x","scope":"admin"}' });
  assert.equal(anonymous.status, 401);
});

test('a token opens /ws as a browser; revoking it closes that socket and refuses the token at once', async () => {
  const watcher = await makeToken('watcher', 'read');
  const socket = await TestSocket.connect(t.wsUrl, { authorization: `Bearer ${watcher.secret}` });
  const init = await socket.next('init');
  assert.ok((init.payload.hosts as { id: string }[]).some((h) => h.id === 'api-01'));
  socket.send('register', { hostname: 'sneaky-01' });
  assert.equal((await socket.next('error')).payload.code, 'forbidden', 'a browser-kind socket cannot speak as an agent');
  const closed = new Promise<number>((resolve) => socket.ws.once('close', (code) => resolve(code)));
  const revoked = await asAdmin('DELETE', `/api/tokens/${watcher.id}`);
  assert.equal(revoked.status, 200);
  assert.equal(await closed, CloseCode.sessionEnded);
  assert.equal((await withToken(watcher.secret, 'GET', '/api/hosts')).status, 401);
  assert.equal((await asAdmin('DELETE', `/api/tokens/${watcher.id}`)).status, 404);
});

test('tokens survive a restart, hashed: the database never holds a secret', async () => {
  const kept = await makeToken('kept', 'read');
  await t.dashboard.context.store.flush();
  await t.close();
  t = await startTestDashboard({}, t.dataDir);
  session = await login(t.url);
  agent = await connectAgent(t.wsUrl, 'api-01', { protocol_version: 1, running: null });
  assert.equal((await withToken(kept.secret, 'GET', '/api/hosts')).status, 200);
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(`${t.dataDir}/nixfleet.sqlite`, { readonly: true });
  const rows = db.prepare('SELECT * FROM api_tokens').all();
  db.close();
  assert.ok(rows.length >= 1);
  assert.ok(!JSON.stringify(rows).includes(kept.secret.slice(4)), 'only the hash is stored');
});

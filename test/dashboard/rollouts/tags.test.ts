// Hosts carry tags from two sides: the admin's (PUT /api/hosts/:id/tags) and the agent's own
// (NIXFLEET_TAGS, sent in register). Both are shown, and a rollout can target either.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, startTestDashboard, type Session, type TestDashboard } from '../../helpers/dashboard.js';
import { connectAgent, type TestSocket } from '../../helpers/sockets.js';
import type { Rollout } from '../../../src/protocol/rollout.js';

let t: TestDashboard;
let session: Session;
const agents: TestSocket[] = [];

before(async () => {
  t = await startTestDashboard();
  session = await login(t.url);
  agents.push(await connectAgent(t.wsUrl, 'tag-web-01', { protocol_version: 1, running: null, tags: ['web', 'prod'] }));
  agents.push(await connectAgent(t.wsUrl, 'tag-db-01', { protocol_version: 1, running: null }));
});
after(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  await t.close();
});

async function call(method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { cookie: session.cookie, 'x-csrf-token': session.csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${t.url}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('the agent reports its tags and the admin sets others; both are on the host record', async () => {
  const set = await call('PUT', '/api/hosts/tag-db-01/tags', { tags: ['db', 'prod', 'db'] });
  assert.equal(set.status, 200);
  const hosts = ((await call('GET', '/api/hosts')).body.hosts as { id: string; tags: string[]; agent_tags: string[] }[]);
  const web = hosts.find((h) => h.id === 'tag-web-01');
  const db = hosts.find((h) => h.id === 'tag-db-01');
  assert.deepEqual(web?.agent_tags, ['prod', 'web']);
  assert.deepEqual(web?.tags, []);
  assert.deepEqual(db?.tags, ['db', 'prod']);
  assert.equal((await call('PUT', '/api/hosts/tag-db-01/tags', { tags: ['no spaces'] })).status, 400);
  assert.equal((await call('PUT', '/api/hosts/nobody/tags', { tags: ['x'] })).status, 404);
});

test('a rollout by tag takes the hosts with it from either side, and only those', async () => {
  const started = await call('POST', '/api/rollouts', { tag: 'prod', steps: ['check-version'], batch_size: 1 });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const rollout = started.body.rollout as Rollout;
  assert.deepEqual(rollout.hosts.map((h) => h.host_id), ['tag-db-01', 'tag-web-01']);
  assert.equal(rollout.target, 'tag prod');
  const narrowed = await call('POST', '/api/rollouts', { tag: 'web', hosts: ['tag-db-01'], steps: ['pull'] });
  assert.equal(narrowed.status, 400, 'every criterion must hold: db-01 is not tagged web');
  assert.match(String(narrowed.body.message), /^hosts: no host matches 1 host and tag web/);
  assert.equal((await call('POST', `/api/rollouts/${rollout.id}/cancel`)).status, 200);
});

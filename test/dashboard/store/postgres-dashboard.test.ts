// The dashboard on PostgreSQL alone (one instance, no cluster bus): what an agent reports and the
// admin sends is there after a restart, even from a new data dir; instances that start together
// migrate the schema once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { pino } from 'pino';
import { login, startTestDashboard, tempDir } from '../../helpers/dashboard.js';
import { connectAgent, connectBrowser } from '../../helpers/sockets.js';
import { testDatabase } from '../../helpers/cluster-servers.js';
import { PostgresStore } from '../../../src/dashboard/store/postgres/postgres-store.js';
import { SCHEMA_VERSION } from '../../../src/dashboard/store/postgres/schema.js';

test('a dashboard on PostgreSQL keeps hosts, commands and output across a restart on another data dir', async (t) => {
  const database = await testDatabase(t);
  if (!database) return;
  const env = { NIXFLEET_DATABASE_URL: database.url };
  const first = await startTestDashboard(env);
  const session = await login(first.url);
  const agent = await connectAgent(first.wsUrl, 'pg-01', { protocol_version: 1, running: null });
  const sent = await fetch(`${first.url}/api/hosts/pg-01/command`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ command: 'pull' }),
  });
  assert.equal(sent.status, 202);
  const { command_id: commandId } = (await sent.json()) as { command_id: string };
  const received = await agent.next('command');
  assert.equal(received.payload.command_id, commandId);
  agent.send('output', { command_id: commandId, lines: Array.from({ length: 3 }, (_, seq) => ({ seq, stream: 'stdout', line: `pulled ${seq}` })) });
  agent.send('status', { command_id: commandId, command: 'pull', status: 'ok', exit_code: 0, message: 'already up to date' });
  await agent.barrier();
  await agent.close();
  await first.close();

  // Another process, another data dir (as a second machine would have): the database is the truth.
  const second = await startTestDashboard(env, tempDir());
  t.after(() => second.close());
  const again = await login(second.url);
  const health = (await (await fetch(`${second.url}/health`)).json()) as { status: string; storage: string; instance: string };
  assert.deepEqual([health.status, health.storage], ['ok', 'postgres']);
  assert.equal(health.instance, second.config.instanceId);
  const browser = await connectBrowser(second.wsUrl, again);
  const init = browser.ofType('init')[0];
  const hosts = init?.payload.hosts as { id: string }[];
  assert.deepEqual(hosts.map((h) => h.id), ['pg-01']);
  const output = await fetch(`${second.url}/api/commands/${commandId}/output`, { headers: { cookie: again.cookie } });
  const body = (await output.json()) as { command: { status: string; message: string }; lines: { line: string }[] };
  assert.equal(body.command.status, 'succeeded');
  assert.equal(body.command.message, 'already up to date');
  assert.deepEqual(body.lines.map((l) => l.line), ['pulled 0', 'pulled 1', 'pulled 2']);
  await browser.close();
});

test('instances that start together on an empty database migrate it once', async (t) => {
  const database = await testDatabase(t);
  if (!database) return;
  const silent = pino({ level: 'silent' });
  const stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open(database.url, 5, silent)));
  await Promise.all(stores.map((store) => store.close()));
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const { rows } = await client.query<{ version: number }>('SELECT version FROM nixfleet_schema');
  await client.end();
  assert.deepEqual(rows, [{ version: SCHEMA_VERSION }], 'one row, the latest version');
});

// An installation moves from SQLite to PostgreSQL: everything the SQLite dashboard knew is what the
// PostgreSQL dashboard knows, and a second migration into the same database is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { login, startTestDashboard, tempDir } from '../../helpers/dashboard.js';
import { connectAgent } from '../../helpers/sockets.js';
import { testDatabase } from '../../helpers/cluster-servers.js';
import { migrateToPostgres } from '../../../src/dashboard/store/migrate-to-postgres.js';

test('migrate-to-postgres copies hosts, commands, output, events and tokens; the PostgreSQL dashboard shows them', async (t) => {
  const database = await testDatabase(t);
  if (!database) return;
  const dataDir = tempDir();
  const sqlite = await startTestDashboard({}, dataDir);
  const session = await login(sqlite.url);
  const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' };
  const created = await fetch(`${sqlite.url}/api/hosts`, { method: 'POST', headers, body: JSON.stringify({ hostname: 'own-token-01', location: 'lab' }) });
  assert.equal(created.status, 201);
  const agent = await connectAgent(sqlite.wsUrl, 'moved-01', { protocol_version: 1, running: null });
  const sent = (await (await fetch(`${sqlite.url}/api/hosts/moved-01/command`, { method: 'POST', headers, body: JSON.stringify({ command: 'test' }) })).json()) as { command_id: string };
  await agent.next('command');
  agent.send('output', { command_id: sent.command_id, lines: Array.from({ length: 2_500 }, (_, seq) => ({ seq, stream: 'stdout', line: `check ${seq}` })) });
  agent.send('status', { command_id: sent.command_id, command: 'test', status: 'error', exit_code: 1, message: '1 of 3 tests failed: ssh.sh' });
  await agent.barrier();
  await agent.close();
  const eventsBefore = ((await (await fetch(`${sqlite.url}/api/events?limit=1000`, { headers })).json()) as { events: unknown[] }).events;
  await sqlite.close();

  const copied = await migrateToPostgres(dataDir, database.url);
  assert.equal(copied.hosts, 2);
  assert.equal(copied.commands, 1);
  assert.equal(copied.host_tokens, 1);
  assert.ok((copied.output_chunks ?? 0) >= 1);
  await assert.rejects(migrateToPostgres(dataDir, database.url), /already holds/);

  const moved = await startTestDashboard({ NIXFLEET_DATABASE_URL: database.url }, dataDir);
  t.after(() => moved.close());
  const again = await login(moved.url);
  const hosts = ((await (await fetch(`${moved.url}/api/hosts`, { headers: { cookie: again.cookie } })).json()) as { hosts: { id: string; location: string }[] }).hosts;
  assert.deepEqual(hosts.map((h) => h.id), ['moved-01', 'own-token-01']);
  assert.equal(hosts[1]?.location, 'lab');
  const output = (await (await fetch(`${moved.url}/api/commands/${sent.command_id}/output?limit=100000`, { headers: { cookie: again.cookie } })).json()) as {
    command: { status: string; message: string };
    lines: { seq: number; line: string }[];
  };
  assert.equal(output.command.status, 'failed');
  assert.equal(output.lines.length, 2_500);
  assert.deepEqual(output.lines.map((l) => l.seq), output.lines.map((_, i) => i));
  const eventsAfter = ((await (await fetch(`${moved.url}/api/events?limit=1000`, { headers: { cookie: again.cookie } })).json()) as { events: unknown[] }).events;
  // The PostgreSQL dashboard added its own events since (a login); every old one is there.
  assert.ok(eventsAfter.length >= eventsBefore.length);
  for (const event of eventsBefore) assert.ok(eventsAfter.some((e) => JSON.stringify(e) === JSON.stringify(event)), JSON.stringify(event));
  // The host's own token works against the new database: the token was moved too.
  const refused = await connectAgent(moved.wsUrl, 'own-token-01', { protocol_version: 1, running: null }).then(
    () => 'registered',
    (err: Error) => err.message,
  );
  assert.notEqual(refused, 'registered', 'the shared token cannot take a host that has its own');
});

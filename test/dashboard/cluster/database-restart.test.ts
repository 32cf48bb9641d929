// PostgreSQL goes away under a running cluster (an immediate shutdown, as a crash or a failover looks
// to its clients) and comes back: output keeps streaming to browsers meanwhile, what was written in
// the gap is stored once it is back, and the same instance keeps the fleet.
import { test } from 'node:test';
import pg from 'pg';
import assert from 'node:assert/strict';
import { TestCluster } from '../../helpers/cluster.js';
import { login, sendCommand } from '../../helpers/dashboard.js';
import { connectAgent, connectBrowser } from '../../helpers/sockets.js';
import { PrivatePostgres, postgresBinDir } from '../../helpers/private-postgres.js';
import { freePort } from '../../helpers/free-port.js';

const WAIT_MS = 30_000;

const health = async (url: string) => (await (await fetch(`${url}/health`)).json()) as { database: string; role: string; leader: string | null };

test('a PostgreSQL restart: output streams on, is stored once it is back, and the leader stays', async (t) => {
  const bin = postgresBinDir();
  if (!bin) {
    if (process.env.CI === 'true') throw new Error('PostgreSQL server binaries are required in CI');
    t.skip('no PostgreSQL server binaries under /usr/lib/postgresql; install postgresql to run it');
    return;
  }
  const postgres = await PrivatePostgres.create(bin, await freePort());
  t.after(() => postgres.remove());
  await postgres.start();
  const cluster = await TestCluster.create(t, { NIXFLEET_OFFLINE_TIMEOUT: '60s' }, { databaseUrl: postgres.url });
  if (!cluster) return;
  const a = await cluster.start('a');
  await cluster.waitForRole(a, 'leader');
  const b = await cluster.start('b');
  const { leader } = await cluster.waitForRole(b, 'follower');

  const session = await login(b.url);
  const browser = await connectBrowser(b.wsUrl, session);
  t.after(() => browser.close());
  const agent = await connectAgent(b.wsUrl, 'db-1');
  t.after(() => agent.close());
  const sent = await sendCommand(b.url, session, 'db-1', 'switch');
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const id = String(sent.body.command_id);
  await agent.next((m) => m.type === 'command' && m.payload.command_id === id, WAIT_MS);

  await postgres.stop();
  const deadline = Date.now() + WAIT_MS;
  while ((await health(a.url)).database !== 'disconnected') {
    assert.ok(Date.now() < deadline, 'the leader never noticed the database was gone');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const lines = Array.from({ length: 100 }, (_, i) => ({ seq: i, stream: 'stdout', line: `line ${i}` }));
  for (let i = 0; i < lines.length; i += 20) agent.send('output', { command_id: id, lines: lines.slice(i, i + 20) });
  // Live while the database is down.
  const live = () => browser.messages.filter((m) => m.type === 'command_output' && m.payload.command_id === id).flatMap((m) => (m.payload.lines as { line: string }[]).map((l) => l.line));
  await browser.until(() => (live().length >= lines.length ? true : undefined), WAIT_MS, 'the lines, live');
  assert.deepEqual(live(), lines.map((l) => l.line));

  await postgres.start();
  agent.send('status', { command: 'switch', command_id: id, status: 'ok', exit_code: 0, message: 'done' });
  await browser.next((m) => m.type === 'command_update' && (m.payload.command as { id: string; status: string }).id === id && (m.payload.command as { status: string }).status === 'succeeded', WAIT_MS);
  // Stored once it was back, each line once: read from the database itself.
  const db = new pg.Client({ connectionString: postgres.url });
  await db.connect();
  const until = Date.now() + WAIT_MS;
  for (;;) {
    const { rows } = await db.query<{ first_seq: number; line_count: number }>('SELECT first_seq, line_count FROM output_chunks WHERE command_id = $1 ORDER BY first_seq', [id]);
    const covered = rows.reduce((next, row) => (row.first_seq === next ? next + row.line_count : -1), 0);
    if (covered === lines.length) break;
    assert.ok(covered >= 0 && covered < lines.length, `stored chunks overlap or leave a gap: ${JSON.stringify(rows)}`);
    assert.ok(Date.now() < until, `output never stored: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await db.end();
  const response = await fetch(`${a.url}/api/commands/${id}/output?limit=100000`, { headers: { cookie: session.cookie } });
  const stored = ((await response.json()) as { lines: { seq: number; line: string }[] }).lines;
  assert.deepEqual(stored.map((l) => l.line), lines.map((l) => l.line));
  const after = await cluster.waitForRole(a, 'leader', WAIT_MS);
  assert.equal(after.leader, leader, 'the same instance keeps the fleet');
  assert.equal((await cluster.waitForRole(b, 'follower', WAIT_MS)).leader, leader);
});

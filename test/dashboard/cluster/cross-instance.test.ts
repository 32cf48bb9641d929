// Two dashboard instances as real processes on one PostgreSQL schema and one Redis bus: an agent on
// one and browsers on both see one fleet, commands and output cross between them, and sessions and
// the login rate limit are the cluster's, not an instance's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from '../../helpers/cluster.js';
import { login, postLogin, sendCommand, type Session } from '../../helpers/dashboard.js';
import { connectAgent, connectBrowser, registerPayload, TestSocket, type Message } from '../../helpers/sockets.js';

const WAIT_MS = 15_000;

/** The versions a browser applied after its last init, checked to be gap-free. */
function assertGapFree(browser: TestSocket): void {
  let version: number | null = null;
  for (const message of browser.messages) {
    if (message.type === 'init') version = message.payload.version as number;
    else if (message.version !== undefined) {
      assert.equal(message.version, (version ?? 0) + 1, `${message.type} after version ${version}`);
      version = message.version;
    }
  }
}

function linesOf(browser: TestSocket, commandId: string): string[] {
  return browser.messages
    .filter((m) => m.type === 'command_output' && m.payload.command_id === commandId && m.payload.more === undefined)
    .flatMap((m) => (m.payload.lines as { line: string }[]).map((l) => l.line));
}

test('an agent on one instance is driven and watched from the other', async (t) => {
  const cluster = await TestCluster.create(t);
  if (!cluster) return;
  const [a, b] = await cluster.startPair();

  // A session made on b is valid on a.
  const session: Session = await login(b.url);
  const onA = await connectBrowser(a.wsUrl, session);
  const onB = await connectBrowser(b.wsUrl, session);
  const agent = await connectAgent(b.wsUrl, 'web-1');
  for (const browser of [onA, onB]) {
    await browser.next((m) => m.type === 'host_update' && (m.payload.host as { id: string }).id === 'web-1', WAIT_MS);
  }

  const sent = await sendCommand(a.url, session, 'web-1', 'pull');
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const command = { id: String(sent.body.command_id) };
  const delivered = await agent.next('command', WAIT_MS);
  assert.equal(delivered.payload.command_id, command.id);

  const lines = Array.from({ length: 300 }, (_, i) => ({ seq: i, stream: 'stdout', line: `line ${i}` }));
  for (let i = 0; i < lines.length; i += 50) agent.send('output', { command_id: command.id, lines: lines.slice(i, i + 50) });
  agent.send('status', { command: 'pull', command_id: command.id, status: 'ok', exit_code: 0, message: 'done' });
  const expected = lines.map((l) => l.line);
  for (const browser of [onA, onB]) {
    await browser.next((m) => m.type === 'command_update' && (m.payload.command as { id: string; status: string }).id === command.id && (m.payload.command as { status: string }).status === 'succeeded', WAIT_MS);
    await browser.until(() => (linesOf(browser, command.id).length >= expected.length ? true : undefined), WAIT_MS, 'every line');
    assert.deepEqual(linesOf(browser, command.id), expected, 'every line once, in order');
    assertGapFree(browser);
  }
  // The agent had the command exactly once.
  await agent.barrier();
  assert.equal(agent.ofType('command').length, 1);

  // Replay from either instance: the lines were stored (once: the numbering is dense).
  for (const browser of [onA, onB]) {
    browser.send('get_output', { command_id: command.id, from_seq: 0 });
    const replay = await browser.next((m: Message) => m.type === 'command_output' && m.payload.command_id === command.id && m.payload.more !== undefined, WAIT_MS);
    const replayed = replay.payload.lines as { seq: number; line: string }[];
    assert.deepEqual(replayed.map((l) => l.line), expected);
    assert.deepEqual(replayed.map((l) => l.seq), expected.map((_, i) => i));
  }

  // Each instance says who answered.
  const health = await Promise.all([a, b].map(async (instance) => (await fetch(`${instance.url}/health`)).json() as Promise<Record<string, string>>));
  assert.deepEqual(
    health.map((h) => [h.instance, h.role, h.database, h.bus]),
    [
      ['a', 'leader', 'connected', 'connected'],
      ['b', 'follower', 'connected', 'connected'],
    ],
  );
  const hosts = await fetch(`${b.url}/api/hosts`, { headers: { cookie: session.cookie } });
  assert.equal(hosts.headers.get('x-nixfleet-instance'), 'b');
  const metrics = await (await fetch(`${b.url}/metrics`, { headers: { cookie: session.cookie } })).text();
  assert.match(metrics, /nixfleet_cluster_leader\{instance="b"\} 0/);
  assert.match(metrics, /nixfleet_cluster_bus_connected\{instance="b"\} 1/);
  assert.match(metrics, /nixfleet_cluster_sockets\{kind="agent",instance="b"\} 1/);
  assert.match(metrics, /nixfleet_cluster_sockets\{kind="browser",instance="b"\} 1/);

  // Bad input through a follower gets the answers a single dashboard gives, and changes nothing.
  agent.sendRaw('{not json');
  const refused = await agent.next('error', WAIT_MS);
  assert.equal(refused.payload.code, 'bad_message');
  const big = await fetch(`${b.url}/api/hosts/web-1/command`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ command: 'pull', padding: 'x'.repeat(100_000) }),
  });
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as { error: string }).error, 'fst_err_ctp_body_too_large');
  // A push webhook may be larger (1 MiB, as on a single dashboard): unsigned, it is refused for that.
  const push = await fetch(`${b.url}/api/hooks/git`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ commits: 'x'.repeat(200_000) }) });
  assert.equal(push.status, 401);
  // The leader's internal route cannot be reached from outside, with or without its header.
  for (const instance of [a, b]) {
    const internal = await fetch(`${instance.url}/internal/ws-auth`, { headers: { cookie: session.cookie, 'x-nixfleet-internal': 'guess' } });
    assert.equal(internal.status, 404, `${instance.name}: /internal/ws-auth`);
  }
  await agent.barrier();
  assert.equal(agent.ofType('command').length, 1, 'nothing was sent by the refused requests');
  await Promise.all([agent.close(), onA.close(), onB.close()]);
});

test('logout on one instance ends the session everywhere; the login rate limit counts across instances', async (t) => {
  const cluster = await TestCluster.create(t, { NIXFLEET_RATE_LIMIT: '3', NIXFLEET_RATE_WINDOW: '10m' });
  if (!cluster) return;
  const [a, b] = await cluster.startPair();

  const session = await login(a.url);
  const onA = await connectBrowser(a.wsUrl, session);
  const onB = await connectBrowser(b.wsUrl, session);
  const out = await fetch(`${b.url}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: session.cookie, 'x-csrf-token': session.csrf } });
  assert.ok(out.status < 400, `logout: ${out.status}`);
  assert.equal((await onA.closed).code, 4003);
  assert.equal((await onB.closed).code, 4003);
  for (const instance of [a, b]) {
    const response = await fetch(`${instance.url}/api/session`, { headers: { cookie: session.cookie } });
    assert.equal(response.status, 401, `${instance.name} still takes the session`);
  }

  // Three wrong passwords spread over both instances use up the limit for the address on both.
  for (const instance of [a, b, a]) assert.equal((await postLogin(instance.url, { password: 'wrong' })).status, 401);
  for (const instance of [b, a]) assert.equal((await postLogin(instance.url, { password: 'wrong' })).status, 429, `${instance.name} after three failures`);
});

test('a rollout and the offline queue act once per host, whichever instance the agents are on', async (t) => {
  const cluster = await TestCluster.create(t);
  if (!cluster) return;
  const [a, b] = await cluster.startPair();
  const session = await login(b.url);
  const api = (instance: { url: string }, route: string, body: unknown) =>
    fetch(`${instance.url}${route}`, { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  // Three agents, on both instances; each answers every command it gets with success.
  const agents = await Promise.all([connectAgent(a.wsUrl, 'r-1'), connectAgent(b.wsUrl, 'r-2'), connectAgent(b.wsUrl, 'r-3')]);
  t.after(() => Promise.all(agents.map((agent) => agent.close())));
  const answered: string[] = [];
  for (const agent of agents) {
    agent.ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; payload: { command_id: string; command: string } };
      if (message.type !== 'command') return;
      answered.push(message.payload.command_id);
      agent.send('status', { command: message.payload.command, command_id: message.payload.command_id, status: 'ok', exit_code: 0, message: '' });
    });
  }
  const started = await api(a, '/api/rollouts', { hosts: ['r-1', 'r-2', 'r-3'], steps: ['pull', 'test'], batch_size: 2 });
  assert.equal(started.status, 201, await started.clone().text());
  const { rollout } = (await started.json()) as { rollout: { id: string } };
  const watcher = await connectBrowser(b.wsUrl, session);
  t.after(() => watcher.close());
  const finished = async () => {
    const response = await fetch(`${b.url}/api/rollouts/${rollout.id}`, { headers: { cookie: session.cookie } });
    return ((await response.json()) as { rollout: { status: string } }).rollout.status;
  };
  const deadline = Date.now() + WAIT_MS;
  while ((await finished()) !== 'succeeded') {
    assert.ok(Date.now() < deadline, `rollout still ${await finished()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await Promise.all(agents.map((agent) => agent.barrier()));
  assert.equal(answered.length, 6, 'two steps on each of three hosts');
  assert.equal(new Set(answered).size, 6, 'no command sent twice');

  // A command queued on one instance for a host that is offline goes out once when its agent comes, to the other.
  const created = await api(a, '/api/hosts', { hostname: 'late-1' });
  assert.equal(created.status, 201, await created.clone().text());
  const { token } = (await created.json()) as { token: string };
  const sent = await api(a, '/api/hosts/late-1/command', { command: 'pull', queue: true });
  assert.equal(sent.status, 202, await sent.clone().text());
  const { command_id } = (await sent.json()) as { command_id: string };
  // With the host's own token, issued by the leader: b takes it.
  const late = await TestSocket.connect(b.wsUrl, { authorization: `Bearer ${token}` });
  late.send('register', registerPayload('late-1', { protocol_version: 1, running: null }));
  t.after(() => late.close());
  const delivered = await late.next('command', WAIT_MS);
  assert.equal(delivered.payload.command_id, command_id);
  await late.barrier();
  assert.equal(late.ofType('command').length, 1);
});

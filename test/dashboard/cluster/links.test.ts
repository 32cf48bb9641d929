// The link between an instance's edge and the leader, in one process over real sockets and a real
// core on SQLite, with a transport that can lose messages as Redis can: a lost message either way, or
// a link the leader went silent on, ends the link; agents are told to reconnect (1012), browsers stay
// and get the fleet again, and what follows flows.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import { pino } from 'pino';
import { loadConfig } from '../../../src/dashboard/config.js';
import { resolveCredentials } from '../../../src/dashboard/auth/credentials.js';
import { openStore } from '../../../src/dashboard/store/open-store.js';
import { createCore } from '../../../src/dashboard/server.js';
import { Edge, LEADER_SILENCE_MS } from '../../../src/dashboard/cluster/edge.js';
import { EdgeLinks, type UpgradeIdentity } from '../../../src/dashboard/cluster/edge-links.js';
import type { BusHeader } from '../../../src/dashboard/cluster/bus.js';
import { tempDir, testEnv, TEST_AGENT_TOKEN } from '../../helpers/dashboard.js';
import { registerPayload, TestSocket } from '../../helpers/sockets.js';

const EDGE = 'edge-1';

/** Which way messages are lost: set `dropToEdge` or `dropToLeader` to lose the next matching message. */
interface Lossy {
  dropToEdge: ((header: BusHeader) => boolean) | null;
  dropToLeader: ((header: BusHeader) => boolean) | null;
  /** Nothing reaches the edge on its link (a link the leader forgot without telling). */
  silence: boolean;
}

async function rig(t: TestContext) {
  const config = loadConfig(testEnv(tempDir()));
  const log = pino({ level: 'silent' });
  const store = await openStore(config, log);
  const core = await createCore(config, await resolveCredentials(config), store, log, { internalSecret: 'secret' });
  const lossy: Lossy = { dropToEdge: null, dropToLeader: null, silence: false };
  const edge = new Edge(EDGE, { pingIntervalMs: 30_000, agentQueueBytes: 1 << 20, browserQueueBytes: 1 << 24 }, log);
  const toEdge = (_edge: string, header: BusHeader, body?: Buffer) => {
    if (lossy.silence && header.t !== 'welcome') return true;
    if (lossy.dropToEdge?.(header)) {
      lossy.dropToEdge = null;
      return true;
    }
    queueMicrotask(() => edge.receive(header, body ?? Buffer.alloc(0)));
    return true;
  };
  const links = new EdgeLinks(core, 'secret', 'leader-itself', toEdge, log);
  edge.leaderSeen({
    id: 'leader',
    epoch: 'e1',
    term: 1,
    local: false,
    send: (header, body) => {
      if (lossy.dropToLeader?.(header)) {
        lossy.dropToLeader = null;
        return true;
      }
      queueMicrotask(() => links.receive(header, body ?? Buffer.alloc(0)));
      return true;
    },
  });
  // The leader beats on the bus all along, whatever happens on the link.
  const beats = setInterval(() => edge.leaderSeen({ id: 'leader', epoch: 'e1', term: 1, local: false, send: () => true }), 500);
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const session = core.context.sessions.create('127.0.0.1');
  server.on('connection', (socket, request) => {
    const identity: UpgradeIdentity = request.headers.authorization ? { kind: 'agent', agent: { hostId: null } } : { kind: 'browser', credentialKey: session.record.id_hash };
    edge.attach(socket, request.socket, '127.0.0.1', identity);
  });
  const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  t.after(async () => {
    clearInterval(beats);
    await edge.close();
    links.close();
    server.close();
    await core.close();
    await store.close();
  });
  const agent = async (hostname: string) => {
    const socket = await TestSocket.connect(url, { authorization: `Bearer ${TEST_AGENT_TOKEN}` });
    socket.send('register', registerPayload(hostname, { protocol_version: 1, running: null }));
    await socket.next('registered');
    return socket;
  };
  const browser = async () => {
    const socket = await TestSocket.connect(url, {});
    await socket.next('init');
    return socket;
  };
  return { lossy, agent, browser, edge };
}

const hostUpdate = (id: string) => (m: { type: string; payload: Record<string, unknown> }) => m.type === 'host_update' && (m.payload.host as { id: string }).id === id;

test('a message lost on its way to the edge: the link is made again, the browser gets the fleet again', async (t) => {
  const { lossy, agent, browser } = await rig(t);
  const watcher = await browser();
  const first = await agent('web-1');
  lossy.dropToEdge = (header) => header.t === 'frames';
  const second = await agent('web-2');
  // The lost flush is noticed at the next message on the link; its agents are told to reconnect.
  assert.equal((await first.closed).code, 1012);
  assert.equal((await second.closed).code, 1012);
  const init = await watcher.next('init');
  assert.ok((init.payload.hosts as { id: string }[]).some((h) => h.id === 'web-2'), 'the fresh init has what the lost flush carried');
  const third = await agent('web-3');
  await watcher.next(hostUpdate('web-3'));
  await third.close();
});

test('a message lost on its way to the leader: the leader ends the link and says so', async (t) => {
  const { lossy, agent, browser } = await rig(t);
  const watcher = await browser();
  const first = await agent('web-1');
  const initsBefore = watcher.ofType('init').length;
  lossy.dropToLeader = (header) => header.t === 'frame';
  first.send('heartbeat', {});
  first.send('heartbeat', {});
  assert.equal((await first.closed).code, 1012);
  await watcher.until(() => (watcher.ofType('init').length > initsBefore ? true : undefined), 10_000, 'a fresh init');
  const again = await agent('web-1');
  await watcher.next(hostUpdate('web-1'));
  await again.close();
});

test('a link the leader went silent on (while it still beats) is made again', async (t) => {
  const { lossy, agent, browser } = await rig(t);
  const watcher = await browser();
  const first = await agent('web-1');
  const initsBefore = watcher.ofType('init').length;
  lossy.silence = true;
  const closed = await first.closed;
  assert.equal(closed.code, 1012);
  lossy.silence = false;
  await watcher.until(() => (watcher.ofType('init').length > initsBefore ? true : undefined), LEADER_SILENCE_MS + 10_000, 'a fresh init');
});

// Heartbeats that change only a host's metrics and last_seen are not written every time (at 10,000
// hosts that was a fifth of the dashboard's CPU): browsers still get each one, anything else a
// heartbeat changes is written at the next tick, and the stop writes what is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { login, startTestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, heartbeatPayload, type Message } from '../helpers/sockets.js';
import { DATABASE_FILE } from '../../src/dashboard/store/sqlite/sqlite-store.js';
import { HEARTBEAT_SAVE_INTERVAL_MS } from '../../src/dashboard/fleet/fleet.js';

const HOST = 'hb-saving';
const metrics = (cpu: number) => ({ cpu, ram: 40.1, swap: 0, load: 0.42 });

function storedHost(dataDir: string): Record<string, unknown> {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    const row = db.prepare('SELECT data FROM hosts WHERE id = ?').get(HOST) as { data: string } | undefined;
    assert.ok(row, `host ${HOST} is stored`);
    return JSON.parse(row.data) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

test('a heartbeat moving only metrics is shown at once and written at the stop; one changing anything else is written at the next tick', async () => {
  const t = await startTestDashboard();
  let stopped = false;
  try {
    const session = await login(t.url);
    const browser = await connectBrowser(t.wsUrl, session);
    const agent = await connectAgent(t.wsUrl, HOST);
    const shown = (cpu: number) => (m: Message) =>
      m.type === 'host_update' && (m.payload.host as { id: string; metrics: { cpu: number } | null }).metrics?.cpu === cpu;

    // The first heartbeat reports more than metrics (a lock hash register did not): written.
    agent.send('heartbeat', heartbeatPayload({ metrics: metrics(1) }));
    // The pong to an agent's ping comes once everything before it is durable (docs/protocol.md).
    await agent.barrier();
    assert.deepEqual(storedHost(t.dataDir).metrics, metrics(1));

    // Only the metrics move: every browser sees them, the stored record keeps the last written ones.
    agent.send('heartbeat', heartbeatPayload({ metrics: metrics(2) }));
    await browser.next(shown(2));
    await agent.barrier();
    assert.deepEqual(storedHost(t.dataDir).metrics, metrics(1));

    // A new generation is written at the next tick, with the metrics as they are then.
    agent.send('heartbeat', heartbeatPayload({ metrics: metrics(3), generation: 'def5678' }));
    await agent.barrier();
    const afterGeneration = storedHost(t.dataDir);
    assert.equal(afterGeneration.generation, 'def5678');
    assert.deepEqual(afterGeneration.metrics, metrics(3));

    // Metrics alone again, then the dashboard stops: the stop writes them.
    agent.send('heartbeat', heartbeatPayload({ metrics: metrics(4), generation: 'def5678' }));
    await browser.next(shown(4));
    await agent.barrier();
    assert.deepEqual(storedHost(t.dataDir).metrics, metrics(3));
    await t.close();
    stopped = true;
    const afterStop = storedHost(t.dataDir);
    assert.deepEqual(afterStop.metrics, metrics(4));
    assert.equal(typeof afterStop.last_seen, 'number');
  } finally {
    if (!stopped) await t.close();
  }
});

test('a heartbeat read while the dashboard stops is written with the last batch', async () => {
  const t = await startTestDashboard();
  let closing: Promise<void> | null = null;
  try {
    const agent = await connectAgent(t.wsUrl, HOST);
    agent.send('heartbeat', heartbeatPayload({ metrics: metrics(1) }));
    await agent.barrier();
    // close() stops the fleet at once; the frame sent now is read during the sockets' closing handshake.
    closing = t.close();
    agent.send('heartbeat', heartbeatPayload({ metrics: metrics(5) }));
    await closing;
    assert.deepEqual(storedHost(t.dataDir).metrics, metrics(5));
  } finally {
    await (closing ?? t.close());
  }
});

test('a host whose heartbeats move only metrics is written again once HEARTBEAT_SAVE_INTERVAL_MS has passed', async () => {
  const t = await startTestDashboard();
  try {
    const agent = await connectAgent(t.wsUrl, HOST);
    agent.send('heartbeat', heartbeatPayload({ metrics: metrics(1) }));
    await agent.barrier();
    agent.send('heartbeat', heartbeatPayload({ metrics: metrics(2) }));
    await agent.barrier();
    assert.deepEqual(storedHost(t.dataDir).metrics, metrics(1));

    // The next one, as the fleet would take it a minute later (its clock is the only thing moved).
    const { fleet } = t.dashboard.context.hub.parts;
    const entry = fleet.get(HOST);
    assert.ok(entry);
    fleet.heartbeat(entry, heartbeatPayload({ metrics: metrics(3) }) as Parameters<typeof fleet.heartbeat>[1], Date.now() + HEARTBEAT_SAVE_INTERVAL_MS);
    await agent.barrier();
    assert.deepEqual(storedHost(t.dataDir).metrics, metrics(3));
  } finally {
    await t.close();
  }
});

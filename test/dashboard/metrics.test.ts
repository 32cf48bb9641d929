// GET /metrics in Prometheus format: connections, messages by type, commands by outcome, storage,
// per-host last seen and the event-loop lag; for an admin or a scraper with the metrics token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { login, sendCommand, startTestDashboard } from '../helpers/dashboard.js';
import { connectAgent, connectBrowser, eventually, type Message } from '../helpers/sockets.js';
import { askingForOutputBatches } from '../../src/web/net/dashboard-url.js';

/** The value of one sample line, e.g. metric('x{a="b"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('metrics count what happens, for a logged-in admin or the metrics token, and nobody else', async () => {
  const t = await startTestDashboard({ NIXFLEET_METRICS_TOKEN: 'scrape-me' });
  try {
    const session = await login(t.url);
    const agent = await connectAgent(t.wsUrl, 'measured');
    const browser = await connectBrowser(t.wsUrl, session);
    agent.send('heartbeat', { generation: 'g1' });
    agent.send('heartbeat', { generation: 'g2' });
    agent.sendRaw('not json');
    const { body } = await sendCommand(t.url, session, 'measured', 'pull');
    agent.send('status', { status: 'error', command: 'pull', command_id: body.command_id, exit_code: 1 });
    await browser.next((m) => m.type === 'command_update' && (m.payload.command as { status: string }).status === 'failed');
    await t.dashboard.context.store.flush();

    assert.equal((await fetch(`${t.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const scraped = await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } });
    assert.equal(scraped.status, 200);
    assert.match(scraped.headers.get('content-type') ?? '', /text\/plain/);
    const text = await (await fetch(`${t.url}/metrics`, { headers: { cookie: session.cookie } })).text();

    assert.equal(sample(text, 'nixfleet_agents_connected'), 1);
    assert.equal(sample(text, 'nixfleet_browsers_connected'), 1);
    assert.equal(sample(text, 'nixfleet_messages_received_total{peer="agent",type="heartbeat"}'), 2);
    assert.equal(sample(text, 'nixfleet_messages_received_total{peer="agent",type="invalid"}'), 1);
    assert.equal(sample(text, 'nixfleet_bad_frames_total{peer="agent",code="bad_message"}'), 1);
    assert.ok((sample(text, 'nixfleet_messages_sent_total{peer="browser",type="host_update"}') ?? 0) >= 2);
    assert.equal(sample(text, 'nixfleet_commands_total{command="pull",outcome="failed"}'), 1);
    assert.equal(sample(text, 'nixfleet_hosts{status="online"}'), 1);
    const lastSeen = sample(text, 'nixfleet_host_last_seen_timestamp_seconds{host="measured"}') ?? 0;
    assert.ok(Math.abs(lastSeen - Date.now() / 1000) < 60);
    assert.ok((sample(text, 'nixfleet_storage_write_seconds_count') ?? 0) > 0);
    assert.match(text, /^nixfleet_nodejs_eventloop_lag_seconds /m);
    assert.match(text, /^nixfleet_outbound_queue_bytes\{peer="browser"\} /m);

    // Counting goes on between scrapes.
    agent.send('heartbeat', { generation: 'g3' });
    await eventually(() => (t.dashboard.context.hub.parts.fleet.get('measured')?.record.generation === 'g3' ? true : undefined));
    const again = await (await fetch(`${t.url}/metrics`, { headers: { cookie: session.cookie } })).text();
    assert.equal(sample(again, 'nixfleet_messages_received_total{peer="agent",type="heartbeat"}'), 3);
    await Promise.all([agent.close(), browser.close()]);
  } finally {
    await t.close();
  }
});

test('a browser cut for being too slow is counted under close code 4008', async () => {
  const t = await startTestDashboard({ NIXFLEET_BROWSER_QUEUE: '64KiB' });
  try {
    const session = await login(t.url);
    const agent = await connectAgent(t.wsUrl, 'firehose');
    const stalled = await connectBrowser(t.wsUrl, session);
    stalled.tcp.pause();
    const { body } = await sendCommand(t.url, session, 'firehose', 'switch');
    await agent.next('command');
    for (let from = 0; from < 30_000; from += 100) {
      agent.send('output', { command_id: body.command_id, lines: Array.from({ length: 100 }, (_, i) => ({ seq: from + i, stream: 'stdout', line: 'x'.repeat(300) })) });
    }
    await eventually(() => (t.dashboard.context.hub.parts.fanout.browserCount === 0 ? true : undefined), 20_000, 'the stalled browser cut');
    const text = await (await fetch(`${t.url}/metrics`, { headers: { cookie: session.cookie } })).text();
    assert.equal(sample(text, 'nixfleet_peers_closed_total{peer="browser",code="4008"}'), 1);
    await agent.close();
  } finally {
    await t.close();
  }
});

test('a browser that takes output batches is counted by the messages it got: output_batch, and command_output only for output left alone', async () => {
  const t = await startTestDashboard();
  try {
    const session = await login(t.url);
    const plain = await connectBrowser(t.wsUrl, session);
    const batched = await connectBrowser(askingForOutputBatches(t.wsUrl), session);
    const fanout = t.dashboard.context.hub.parts.fanout;
    const line = (text: string) => [{ seq: 0, stream: 'stdout' as const, line: text }];
    // One flush: two commands' output (a batch), an event, one command's output alone.
    fanout.publishOutput('counted-1', 'counted-cmd-1', 'switch', line('one'));
    fanout.publishOutput('counted-2', 'counted-cmd-2', 'switch', line('two'));
    fanout.publish('event', { id: 990_002, at: new Date().toISOString(), level: 'info', message: 'between' });
    fanout.publishOutput('counted-1', 'counted-cmd-3', 'switch', line('alone'));
    fanout.flush();
    const isLast = (m: Message) => m.type === 'command_output' && m.payload.command_id === 'counted-cmd-3';
    await Promise.all([plain.next(isLast), batched.next(isLast)]);
    assert.equal(batched.messages.filter((m) => m.type === 'output_batch').length, 1);

    const text = await (await fetch(`${t.url}/metrics`, { headers: { cookie: session.cookie } })).text();
    // The plain browser: three command_output; the batching one: one output_batch and one command_output.
    assert.equal(sample(text, 'nixfleet_messages_sent_total{peer="browser",type="command_output"}'), 4);
    assert.equal(sample(text, 'nixfleet_messages_sent_total{peer="browser",type="output_batch"}'), 1);
    assert.equal(sample(text, 'nixfleet_messages_sent_total{peer="browser",type="event"}'), 2);
    await Promise.all([plain.close(), batched.close()]);
  } finally {
    await t.close();
  }
});

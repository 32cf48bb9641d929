// The command line as a real process, before any dashboard answers: --help on the command and every
// subcommand (stdout, exit 0, no settings needed), --version, a missing setting as one line with exit
// 2, an unreachable dashboard with exit 4. Usage mistakes in detail: arguments.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { runCli } from './support/cli.js';
import { SOCKET_HANDSHAKE_MS } from '../../src/cli/socket.js';

const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
/** A loopback port where nothing listens: it was free a moment ago. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
const NOWHERE = `http://127.0.0.1:${await closedPort()}`;
/** Settings that would work, were a dashboard there: the answers below must not depend on one. */
const SETTINGS = { NIXFLEET_URL: NOWHERE, NIXFLEET_API_TOKEN: 'nfx_unused' };

/** Each case is a process start, slow on a loaded machine: all at once. */
async function forEach<T>(items: readonly T[], check: (item: T) => Promise<void>): Promise<void> {
  await Promise.all(items.map(check));
}

test('--help on the command and on every subcommand prints its usage to stdout and exits 0, with no settings', async () => {
  const cases: [string[], RegExp][] = [
    [['--help'], /^nixfleet: .*\nUsage:\n {2}nixfleet hosts/s],
    [['hosts', '--help'], /^nixfleet hosts: .*--tag TAG/s],
    [['run', '--help'], /^nixfleet run: .*--follow.*--queue/s],
    [['run', 'switch', '--host', 'web-01', '--help'], /^nixfleet run: /],
    [['output', '--help'], /^nixfleet output: /],
    [['cancel', '--help'], /^nixfleet cancel: .*run stop/s],
    [['status', '--help'], /^nixfleet status: .*failing.*behind.*current/s],
    [['rollout', '--help'], /^nixfleet rollout: .*pause\|resume\|cancel/s],
    [['rollout', 'start', '--help'], /^nixfleet rollout start: .*--preset NAME.*--canary N.*--batch-size N.*--max-failures N.*--rollback.*--offline skip\|wait/s],
    [['rollout', 'list', '--help'], /^nixfleet rollout list: /],
    [['rollout', 'show', '--help'], /^nixfleet rollout show: /],
    [['rollout', 'pause', '--help'], /^nixfleet rollout pause: /],
    [['rollout', 'resume', '--help'], /^nixfleet rollout resume: /],
    [['rollout', 'cancel', '--help'], /^nixfleet rollout cancel: /],
  ];
  await forEach(cases, async ([args, expected]) => {
    const run = await runCli(args, {});
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stdout, expected, args.join(' '));
    assert.match(run.stdout, /NIXFLEET_URL/, `${args.join(' ')} tells how to connect`);
    assert.equal(run.stderr, '', args.join(' '));
  });
});

test('--version prints the package version and exits 0', async () => {
  const run = await runCli(['--version'], {});
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `nixfleet ${PACKAGE_VERSION}\n`);
});

test('a missing NIXFLEET_URL is one line naming it, exit 2', async () => {
  const run = await runCli(['run', 'switch', '--host', 'web-01', '--follow'], { NIXFLEET_API_TOKEN: 'nfx_x' });
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr, "nixfleet: NIXFLEET_URL is not set: the dashboard's address, such as https://fleet.example.org (or pass --url)\n");
});

test('a dashboard that does not answer: exit 4 and its address', async () => {
  const run = await runCli(['hosts'], { ...SETTINGS, NIXFLEET_URL: `${NOWHERE}/` });
  assert.equal(run.code, 4, run.stderr);
  assert.equal(run.stderr, `nixfleet: cannot reach the dashboard at ${NOWHERE}: ECONNREFUSED\n`);
  // Also when the command names its hosts, so nothing is asked before the command is sent.
  const sent = await runCli(['run', 'pull', '--host', 'web-01'], { ...SETTINGS, NIXFLEET_URL: `${NOWHERE}/` });
  assert.equal(sent.code, 4, sent.stderr);
  assert.equal(sent.stderr, `nixfleet: web-01: cannot reach the dashboard at ${NOWHERE}: ECONNREFUSED\n`);
});

test('a dashboard that takes the socket in but never answers it: run --follow gives up after the handshake limit, exit 4, nothing sent', async () => {
  // A listener that accepts every connection and says nothing (a wedged proxy).
  const held: net.Socket[] = [];
  const silent = net.createServer((socket) => void held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as net.AddressInfo;
  try {
    const began = Date.now();
    const run = await runCli(['run', 'switch', '--host', 'web-01', '--follow'], { ...SETTINGS, NIXFLEET_URL: `http://127.0.0.1:${port}` });
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stderr, new RegExp(`^nixfleet: cannot open the dashboard's socket at ws://127\\.0\\.0\\.1:${port}/ws: .*handshake`));
    assert.ok(Date.now() - began >= SOCKET_HANDSHAKE_MS - 500, 'it waited for the limit');
    assert.equal(run.stdout, '', 'no command was sent: the socket opens first');
  } finally {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

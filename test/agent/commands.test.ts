// The commands an admin sends, run by a real agent against real git repositories and fake Nix tools.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connectBrowser, type TestSocket } from '../helpers/sockets.js';
import { TestFleet, lineNumbers, range, waitFor } from './support/fleet.js';
import { agentProgram, killAllAgents } from './support/agent-process.js';
import type { FleetRepo } from './support/fleet-repo.js';
import type { OutputLine } from '../../src/protocol/model.js';
import { AGENT_VERSION } from '../../src/agent/version.js';

const HOST = 'build-01';
let fleet: TestFleet;
let repo: FleetRepo;
let browser: TestSocket;

before(async () => {
  fleet = await TestFleet.start();
  repo = fleet.repo(HOST);
  await fleet.startAgent(fleet.agentEnv(HOST, repo.hostClone));
  browser = await connectBrowser(fleet.t.wsUrl, fleet.session);
});
after(async () => {
  await browser.close();
  await killAllAgents();
  await fleet.close();
});

/** The lines a browser was sent live for a command, in arrival order. */
function streamedLines(commandId: string): OutputLine[] {
  return browser
    .ofType('command_output')
    .filter((m) => m.payload.command_id === commandId)
    .flatMap((m) => m.payload.lines as OutputLine[]);
}

async function browserSeesEnd(commandId: string): Promise<string> {
  const update = await browser.next(
    (m) => m.type === 'command_update' && (m.payload.command as { id: string; status: string }).id === commandId && !['queued', 'running'].includes((m.payload.command as { status: string }).status),
    15_000,
  );
  return (update.payload.command as { status: string }).status;
}

test('pull (git pull of the host repository) moves the generation the dashboard shows to the new commit', async () => {
  const before = fleet.host(HOST)?.generation;
  const commit = repo.commit('enable nginx', { 'hosts/build-01/configuration.nix': '{ services.nginx.enable = true; }\n' });
  const id = await fleet.send(HOST, 'pull');
  const record = await fleet.ended(id);
  assert.equal(record.status, 'succeeded', record.message);
  assert.equal(repo.headOf(repo.hostClone), commit);
  assert.notEqual(before, commit.slice(0, 7));
  assert.equal(fleet.host(HOST)?.generation, commit.slice(0, 7));
  assert.match(record.message, new RegExp(`to ${commit.slice(0, 7)}`));
});

test('a switch of 5,000 lines reaches a browser complete and in order, live and from the stored output', async () => {
  fleet.tools.set('nixos-rebuild', { lines: 5_000, stderrEvery: 500 });
  const id = await fleet.send(HOST, 'switch');
  assert.equal(await browserSeesEnd(id), 'succeeded');
  const live = streamedLines(id);
  const stored = await fleet.output(id);
  for (const lines of [live, stored]) {
    assert.deepEqual(lines.map((l) => l.seq), range(0, lines.length - 1), 'seq is dense from 0');
    assert.deepEqual(lineNumbers(lines), range(1, 5_000), 'every stdout line once, in order');
    assert.deepEqual(lineNumbers(lines.map((l) => ({ ...l, line: l.line.replace('warning', 'line') })), 'stderr'), range(1, 10).map((i) => i * 500));
  }
  assert.deepEqual(live, stored);
  assert.equal(fleet.command(id)?.output_lines, stored.length);
  assert.ok(fleet.tools.calls().includes(`nixos-rebuild switch --flake ${repo.hostClone}#${HOST}`), fleet.tools.calls().join('\n'));
});

test('a failing switch ends failed with its exit code and its last error line, and its output kept', async () => {
  const error = 'error: builder for /nix/store/abc-system.drv failed with exit code 1';
  fleet.tools.set('nixos-rebuild', { lines: 40, errorLine: error, exitCode: 3 });
  const id = await fleet.send(HOST, 'switch');
  const record = await fleet.ended(id);
  assert.equal(record.status, 'failed');
  assert.equal(record.exit_code, 3);
  assert.match(record.message, /nixos-rebuild exited with code 3/);
  assert.ok(record.message.includes(error), record.message);
  const lines = await fleet.output(id);
  assert.deepEqual(lineNumbers(lines), range(1, 40));
  assert.deepEqual(lines.at(-1), { seq: lines.length - 1, stream: 'stderr', line: error });
});

test('test runs the executable host tests in order, reports each, and names the failures', async () => {
  repo.commit('tests', {
    'hosts/build-01/tests/01-boots.sh': '#!/bin/sh\necho boots ok\n',
    'hosts/build-01/tests/02-web.sh': '#!/bin/sh\necho "nginx is down" >&2\nexit 1\n',
    'hosts/build-01/tests/03-disk.sh': '#!/bin/sh\necho disk ok\n',
  });
  fs.writeFileSync(path.join(repo.hostClone, 'README.sh'), 'not a test: not in tests/ and not executable\n');
  const pulled = await fleet.ended(await fleet.send(HOST, 'pull'));
  assert.equal(pulled.status, 'succeeded', pulled.message);
  const id = await fleet.send(HOST, 'test');
  const record = await fleet.ended(id);
  assert.equal(record.status, 'failed');
  assert.equal(record.message, '1 of 3 tests failed: 02-web.sh');
  const results = await waitFor(() => {
    const done = browser.ofType('test_progress').filter((m) => m.payload.host_id === HOST && m.payload.result);
    return done.length >= 3 ? done : undefined;
  }, 'three test results');
  assert.deepEqual(results.map((m) => (m.payload.result as { name: string; passed: boolean }).name), ['01-boots.sh', '02-web.sh', '03-disk.sh']);
  assert.deepEqual(results.map((m) => (m.payload.result as { passed: boolean }).passed), [true, false, true]);
  const text = (await fleet.output(id)).map((l) => l.line);
  assert.ok(text.indexOf('boots ok') < text.indexOf('nginx is down') && text.indexOf('nginx is down') < text.indexOf('disk ok'));
});

test('refresh-git and refresh-lock fill the heartbeat\'s update_status; rollback and check-version do what they say', async () => {
  repo.commit('ahead of the host', { 'hosts/build-01/later.nix': '{ }\n' });
  const git = await fleet.ended(await fleet.send(HOST, 'refresh-git'));
  assert.equal(git.status, 'succeeded', git.message);
  assert.equal(git.message, '1 commit behind origin/main');
  const lock = await fleet.ended(await fleet.send(HOST, 'refresh-lock'));
  assert.match(lock.message, /^nixpkgs locked 2025-01-01 \(\d+ days ago\)$/);
  const status = await waitFor(() => {
    const update = fleet.host(HOST)?.update_status;
    return update?.git?.status === 'outdated' && update.lock?.status === 'outdated' ? update : undefined;
  }, 'a heartbeat with the new update_status');
  assert.equal(status.git?.message, '1 commit behind origin/main');

  fleet.tools.set('nixos-rebuild', { lines: 2 });
  const rollback = await fleet.ended(await fleet.send(HOST, 'rollback'));
  assert.equal(rollback.status, 'succeeded', rollback.message);
  // The last activation; a background check of the system may follow it.
  assert.equal(fleet.tools.calls().filter((c) => c.startsWith('nixos-rebuild')).at(-1), 'nixos-rebuild switch --rollback');
  const version = await fleet.ended(await fleet.send(HOST, 'check-version'));
  assert.equal(version.message, `nixfleet-agent ${AGENT_VERSION} at ${agentProgram()}`, 'its version and the program that runs');
});

test('isolated mode: the first pull clones NIXFLEET_REPO_URL, later pulls make the clone match origin exactly', async () => {
  const host = 'iso-01';
  const own = fleet.repo(host);
  const env = fleet.agentEnv(host, '', { NIXFLEET_REPO_URL: own.origin, NIXFLEET_REPO_DIR: '' });
  const agent = await fleet.startAgent(env);
  const first = await fleet.ended(await fleet.send(host, 'pull'));
  assert.equal(first.status, 'succeeded', first.message);
  const clone = path.join(env.NIXFLEET_STATE_DIR ?? '', 'repo');
  assert.equal(own.headOf(clone), own.headOf(own.hostClone));
  // Local edits and stray files in the agent's clone do not survive a pull.
  fs.writeFileSync(path.join(clone, 'flake.nix'), 'edited on the host\n');
  fs.writeFileSync(path.join(clone, 'stray.txt'), 'left behind\n');
  const commit = own.commit('next', { 'hosts/iso-01/x.nix': '{ }\n' });
  const second = await fleet.ended(await fleet.send(host, 'pull'));
  assert.equal(second.status, 'succeeded', second.message);
  assert.equal(own.headOf(clone), commit);
  assert.equal(fs.existsSync(path.join(clone, 'stray.txt')), false);
  assert.notEqual(fs.readFileSync(path.join(clone, 'flake.nix'), 'utf8'), 'edited on the host\n');
  assert.equal(fleet.host(host)?.generation, commit.slice(0, 7));
  await agent.kill('SIGTERM');
});

test('a run record that cannot be written (a full or read-only disk) does not end the agent: the command runs and is reported', async () => {
  const host = 'disk-01';
  const env = fleet.agentEnv(host, fleet.repo(host).hostClone);
  const agent = await fleet.startAgent(env);
  // A directory where the record goes: no write or removal of it can succeed, not even as root.
  fs.mkdirSync(path.join(env.NIXFLEET_STATE_DIR ?? '', 'running.json', 'blocked'), { recursive: true });
  fleet.tools.set('nix', { lines: 3 });
  const record = await fleet.ended(await fleet.send(host, 'update'));
  assert.equal(record.status, 'succeeded', record.message);
  assert.match(agent.stderr(), /cannot write or remove the run record/);
  // Still the same agent process, still taking commands.
  assert.equal((await fleet.ended(await fleet.send(host, 'check-version'))).status, 'succeeded');
  assert.equal(agent.child.exitCode, null);
});

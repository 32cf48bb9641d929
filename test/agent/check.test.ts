// `nixfleet-agent --check` against a real dashboard: it fails (exit 1, one line per reason on stderr)
// wherever the agent would fail later, and passes only when the repository, the programs and the
// dashboard's answer to this host's register are all right.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { TEST_AGENT_TOKEN } from '../helpers/dashboard.js';
import { TestFleet } from './support/fleet.js';
import { runAgent } from './support/agent-process.js';
import type { FleetRepo } from './support/fleet-repo.js';

let fleet: TestFleet;
let repo: FleetRepo;
/** A host created in the dashboard, with its own token. */
const OWN_HOST = 'chk-own';
let ownToken: string;

before(async () => {
  fleet = await TestFleet.start();
  repo = fleet.repo('chk-01');
  const response = await fetch(`${fleet.t.url}/api/hosts`, {
    method: 'POST',
    headers: { cookie: fleet.session.cookie, 'x-csrf-token': fleet.session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ hostname: OWN_HOST }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  ownToken = String(((await response.json()) as { token: string }).token);
});
after(async () => {
  await fleet.close();
});

/** Runs --check for `hostname` with the fleet's settings and `extra` over them. */
function check(hostname: string, extra: Record<string, string> = {}) {
  return runAgent(fleet.agentEnv(hostname, repo.hostClone, extra), ['--check']);
}

/** The reasons --check gave, one per stderr line, without the program's prefix. */
function reasons(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      assert.match(line, /^nixfleet-agent: /, 'every stderr line is a reason');
      return line.slice('nixfleet-agent: '.length);
    });
}

/** `ws://host:port` of a socket URL. */
function origin(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

/** A bin dir with git and nothing else the agent needs: the host has no Nix tools. */
function gitOnlyPath(): string {
  const dir = path.join(fleet.root, 'git-only-bin');
  fs.mkdirSync(dir, { recursive: true });
  const git = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  if (!fs.existsSync(path.join(dir, 'git'))) fs.symlinkSync(git, path.join(dir, 'git'));
  return dir;
}

test('a host whose repository, programs and token are right passes: exit 0, nothing on stderr', async () => {
  const run = await check('chk-01');
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.stderr, '');
  assert.match(run.stdout, /hostname: "chk-01"/);
  assert.match(run.stdout, new RegExp(`repository: ${repo.hostClone} at [0-9a-f]{7}`));
  assert.match(run.stdout, /program: nixos-rebuild is \//);
  assert.match(run.stdout, /accepts host "chk-01" with this token/);
  assert.ok(!run.stdout.includes(TEST_AGENT_TOKEN), 'the token is not printed');
});

test('a host token used under another hostname fails with the dashboard\'s reason, before the agent ever runs', async () => {
  const run = await check('chk-other', { NIXFLEET_TOKEN: ownToken });
  assert.equal(run.code, 1, run.stdout);
  assert.deepEqual(reasons(run.stderr), [`the dashboard refused to register host "chk-other": this token belongs to host ${OWN_HOST} (forbidden)`]);
  assert.equal(fleet.host('chk-other'), undefined, 'nothing registered');
});

test('the shared token for a host that has its own token fails, and the host\'s own token passes', async () => {
  const shared = await check(OWN_HOST);
  assert.equal(shared.code, 1, shared.stdout);
  assert.deepEqual(reasons(shared.stderr), [`the dashboard refused to register host "${OWN_HOST}": host ${OWN_HOST} has its own token; the shared token cannot register it (forbidden)`]);
  const own = await check(OWN_HOST, { NIXFLEET_TOKEN: ownToken });
  assert.equal(own.code, 0, own.stderr);
});

test('a token the dashboard does not know fails with HTTP 401 named', async () => {
  const run = await check('chk-01', { NIXFLEET_TOKEN: 'wrong-token' });
  assert.equal(run.code, 1);
  assert.deepEqual(reasons(run.stderr), [`the dashboard at ${origin(fleet.t.wsUrl)} refused the token (HTTP 401): check NIXFLEET_TOKEN`]);
});

test('a repository dir that is not a git repository fails, and so does a non-empty one that the first clone cannot use', async () => {
  const plain = path.join(fleet.root, 'not-a-repo');
  fs.mkdirSync(plain, { recursive: true });
  fs.writeFileSync(path.join(plain, 'flake.nix'), '{ }\n');
  const [admins, isolated, fresh] = await Promise.all([
    check('chk-01', { NIXFLEET_REPO_DIR: plain }),
    check('chk-01', { NIXFLEET_REPO_DIR: plain, NIXFLEET_REPO_URL: repo.origin }),
    check('chk-01', { NIXFLEET_REPO_DIR: path.join(fleet.root, 'clone-here'), NIXFLEET_REPO_URL: repo.origin }),
  ]);
  assert.equal(admins.code, 1);
  assert.deepEqual(reasons(admins.stderr), [`NIXFLEET_REPO_DIR: ${plain} is not a git repository (no .git): pull and switch need the host's flake repository checked out there, or set NIXFLEET_REPO_URL for a clone the agent keeps`]);
  assert.equal(isolated.code, 1);
  assert.deepEqual(reasons(isolated.stderr), [`NIXFLEET_REPO_DIR: ${plain} is not empty and not a git repository: the first pull cannot clone NIXFLEET_REPO_URL into it`]);
  assert.equal(fresh.code, 0, `a missing clone is made by the first pull: ${fresh.stderr}`);
  assert.match(fresh.stdout, /is not cloned yet: the first pull clones/);
});

test('missing Nix programs fail, each named with what needs it, for the host type', async () => {
  const onlyGit = gitOnlyPath();
  const [nixos, macos] = await Promise.all([
    check('chk-01', { PATH: onlyGit }),
    check('chk-01', { PATH: onlyGit, NIXFLEET_HOST_TYPE: 'macos' }),
  ]);
  assert.equal(nixos.code, 1);
  assert.deepEqual(reasons(nixos.stderr), [
    'nix is not on PATH: update and the system check would fail on this nixos host',
    'nixos-rebuild is not on PATH: switch and rollback would fail on this nixos host',
  ]);
  assert.equal(macos.code, 1);
  assert.deepEqual(reasons(macos.stderr), [
    'nix is not on PATH: update would fail on this macos host',
    'home-manager is not on PATH: switch would fail on this macos host',
  ]);
  const sudo = await check('chk-01', { NIXFLEET_SUDO: 'no-such-sudo' });
  assert.deepEqual(reasons(sudo.stderr), ['no-such-sudo is not on PATH: switch, rollback and reboot as root (NIXFLEET_SUDO) would fail on this nixos host']);
});

test('wss:// against the dashboard\'s plain-HTTP port says it does not speak TLS', async () => {
  const wss = fleet.t.wsUrl.replace(/^ws:/, 'wss:');
  const run = await check('chk-01', { NIXFLEET_URL: wss });
  assert.equal(run.code, 1);
  const [reason, ...more] = reasons(run.stderr);
  assert.deepEqual(more, []);
  assert.match(reason ?? '', new RegExp(`^the dashboard at ${origin(wss)} does not speak TLS: use ws://, or put TLS in front \\(the TLS handshake failed: `));
});

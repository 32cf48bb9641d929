// Configuration: a missing or bad setting is one line naming it and exit code 2; the flags answer and exit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadAgentConfig } from '../../src/agent/config.js';
import { AGENT_VERSION } from '../../src/agent/version.js';
import { HELP_TEXT, parseCli } from '../../src/agent/cli.js';
import { TEST_AGENT_TOKEN, tempDir } from '../helpers/dashboard.js';
import { TestFleet } from './support/fleet.js';
import { agentEnv, runAgent } from './support/agent-process.js';

let fleet: TestFleet;
let dir: string;
let good: Record<string, string>;

before(async () => {
  fleet = await TestFleet.start();
  dir = tempDir('nixfleet-agent-config-');
  fs.mkdirSync(path.join(dir, 'repo'));
  good = {
    NIXFLEET_URL: fleet.t.wsUrl,
    NIXFLEET_TOKEN: TEST_AGENT_TOKEN,
    NIXFLEET_REPO_DIR: path.join(dir, 'repo'),
    NIXFLEET_STATE_DIR: path.join(dir, 'state'),
    NIXFLEET_HOSTNAME: 'cfg-01',
  };
});
after(async () => {
  await fleet.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The variable a configuration names in its error, or null when it loads. */
function variableOf(env: Record<string, string | undefined>): string | null {
  try {
    loadAgentConfig(env);
    return null;
  } catch (err) {
    if (err instanceof ConfigError) return err.variable;
    throw err;
  }
}

test('a complete configuration loads, with the documented defaults', () => {
  const config = loadAgentConfig(good);
  assert.equal(config.branch, 'main');
  assert.equal(config.heartbeatIntervalS, 5);
  assert.equal(config.reconnectMinMs, 1_000);
  assert.equal(config.reconnectMaxMs, 60_000);
  assert.equal(config.deadAfterMs, 45_000);
  assert.equal(config.stopGraceMs, 5_000);
  assert.equal(config.repoUrl, null);
  assert.equal(loadAgentConfig({ ...good, NIXFLEET_URL: 'wss://fleet.example.org' }).url, 'wss://fleet.example.org/ws');
  const isolated = loadAgentConfig({ ...good, NIXFLEET_REPO_DIR: '', NIXFLEET_REPO_URL: 'git@example.org:fleet.git' });
  assert.equal(isolated.repoDir, path.join(dir, 'state', 'repo'));
});

test('each missing or bad setting is an error that names its variable', () => {
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, `${TEST_AGENT_TOKEN}\n`);
  const cases: [Record<string, string | undefined>, string | null][] = [
    [{ NIXFLEET_URL: undefined }, 'NIXFLEET_URL'],
    [{ NIXFLEET_URL: 'https://fleet.example.org' }, 'NIXFLEET_URL'],
    [{ NIXFLEET_URL: 'not a url' }, 'NIXFLEET_URL'],
    [{ NIXFLEET_TOKEN: undefined }, 'NIXFLEET_TOKEN'],
    [{ NIXFLEET_TOKEN: undefined, NIXFLEET_TOKEN_FILE: path.join(dir, 'missing') }, 'NIXFLEET_TOKEN_FILE'],
    [{ NIXFLEET_TOKEN: undefined, NIXFLEET_TOKEN_FILE: tokenFile }, null],
    [{ NIXFLEET_REPO_DIR: undefined }, 'NIXFLEET_REPO_DIR'],
    [{ NIXFLEET_REPO_DIR: path.join(dir, 'nowhere') }, 'NIXFLEET_REPO_DIR'],
    [{ NIXFLEET_BRANCH: '--upload-pack=evil' }, 'NIXFLEET_BRANCH'],
    [{ NIXFLEET_SSH_KEY: path.join(dir, 'no-key') }, 'NIXFLEET_SSH_KEY'],
    [{ NIXFLEET_INTERVAL: 'often' }, 'NIXFLEET_INTERVAL'],
    [{ NIXFLEET_INTERVAL: '0' }, 'NIXFLEET_INTERVAL'],
    [{ NIXFLEET_HOSTNAME: 'web 01' }, 'NIXFLEET_HOSTNAME'],
    [{ NIXFLEET_HOSTNAME: '-web' }, 'NIXFLEET_HOSTNAME'],
    [{ NIXFLEET_THEME_COLOR: 'blue' }, 'NIXFLEET_THEME_COLOR'],
    [{ NIXFLEET_THEME_COLOR: '#12345' }, 'NIXFLEET_THEME_COLOR'],
    [{ NIXFLEET_THEME_COLOR: '#A1b2C3' }, null],
    [{ NIXFLEET_LOCATION: 'x'.repeat(300) }, 'NIXFLEET_LOCATION'],
    [{ NIXFLEET_STATE_DIR: path.join(dir, 'token', 'state') }, 'NIXFLEET_STATE_DIR'],
    [{ NIXFLEET_RECONNECT_MIN: 'soon' }, 'NIXFLEET_RECONNECT_MIN'],
    [{ NIXFLEET_RECONNECT_MIN: '5s', NIXFLEET_RECONNECT_MAX: '1s' }, 'NIXFLEET_RECONNECT_MAX'],
    [{ NIXFLEET_HOST_TYPE: 'windows' }, 'NIXFLEET_HOST_TYPE'],
  ];
  for (const [change, variable] of cases) {
    assert.equal(variableOf({ ...good, ...change }), variable, JSON.stringify(change));
  }
});

test('the agent started with a bad setting or argument prints one line naming it and exits with 2, before connecting', async () => {
  const runs = await Promise.all([
    runAgent(agentEnv({ ...good, NIXFLEET_THEME_COLOR: 'red' })),
    runAgent(agentEnv(good), ['--frobnicate']),
  ]);
  const names = ['NIXFLEET_THEME_COLOR', '--frobnicate'];
  runs.forEach((run, i) => {
    assert.equal(run.code, 2, run.stderr);
    const lines = run.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0] ?? '', new RegExp(`^nixfleet-agent: .*${names[i]}`));
  });
  assert.equal(fleet.t.dashboard.context.hub.counts.agents, 0, 'nothing connected');
});

test('--help names every setting', () => {
  for (const name of ['NIXFLEET_URL', 'NIXFLEET_TOKEN_FILE', 'NIXFLEET_REPO_URL', 'NIXFLEET_REPO_DIR', 'NIXFLEET_BRANCH', 'NIXFLEET_SSH_KEY', 'NIXFLEET_INTERVAL', 'NIXFLEET_HOSTNAME', 'NIXFLEET_LOCATION', 'NIXFLEET_DEVICE_TYPE', 'NIXFLEET_THEME_COLOR', 'NIXFLEET_STATE_DIR', '--check']) {
    assert.ok(HELP_TEXT.includes(name), `--help mentions ${name}`);
  }
  assert.deepEqual(parseCli(['--help']), { ok: true, mode: 'help' });
  assert.deepEqual(parseCli([]), { ok: true, mode: 'run' });
  assert.equal(parseCli(['--check', 'extra']).ok, false);
});

test('--version prints the version; --check prints the configuration and tells an accepted token from a refused one', async () => {
  const [version, check, refused] = await Promise.all([
    runAgent(agentEnv({}), ['--version']),
    runAgent(agentEnv(good), ['--check']),
    runAgent(agentEnv({ ...good, NIXFLEET_TOKEN: 'wrong-token' }), ['--check']),
  ]);
  assert.equal(version.code, 0);
  assert.equal(version.stdout, `nixfleet-agent ${AGENT_VERSION}\n`);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /hostname: "cfg-01"/);
  assert.match(check.stdout, /is reachable and accepts the token/);
  assert.ok(!check.stdout.includes(TEST_AGENT_TOKEN), 'the token is not printed');
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /refused the token \(HTTP 401\)/);
});

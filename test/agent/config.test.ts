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
  assert.equal(config.refreshIntervalMs, 300_000);
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
    [{ NIXFLEET_URL: 'ftp://fleet.example.org' }, 'NIXFLEET_URL'],
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
    [{ NIXFLEET_INTERVAL: '0s' }, 'NIXFLEET_INTERVAL'],
    [{ NIXFLEET_INTERVAL: '2h' }, 'NIXFLEET_INTERVAL'],
    [{ NIXFLEET_INTERVAL: '-5s' }, 'NIXFLEET_INTERVAL'],
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
    [{ NIXFLEET_REFRESH_INTERVAL: 'hourly' }, 'NIXFLEET_REFRESH_INTERVAL'],
    [{ NIXFLEET_REFRESH_INTERVAL: '10ms' }, 'NIXFLEET_REFRESH_INTERVAL'],
    [{ NIXFLEET_TAGS: 'web,pr od' }, 'NIXFLEET_TAGS'],
    [{ NIXFLEET_TAGS: 'web, prod,web' }, null],
  ];
  for (const [change, variable] of cases) {
    assert.equal(variableOf({ ...good, ...change }), variable, JSON.stringify(change));
  }
});

test('NIXFLEET_TAGS is a comma list: blanks around names are dropped, repeats count once', () => {
  assert.deepEqual(loadAgentConfig({ ...good, NIXFLEET_TAGS: ' web, prod ,,web' }).tags, ['web', 'prod']);
  assert.deepEqual(loadAgentConfig(good).tags, []);
});

test('NIXFLEET_INTERVAL is a duration like every other; a bare number stays seconds', () => {
  const intervalOf = (text: string) => loadAgentConfig({ ...good, NIXFLEET_INTERVAL: text }).heartbeatIntervalS;
  assert.deepEqual(['5', '5s', '500ms', '1m', '2.5', '1h'].map(intervalOf), [5, 5, 0.5, 60, 2.5, 3_600]);
});

test('an http:// or https:// dashboard address is taken as ws:// or wss:// on the same port, with a note', () => {
  const plain = loadAgentConfig({ ...good, NIXFLEET_URL: 'http://fleet.example.org:8000' });
  assert.equal(plain.url, 'ws://fleet.example.org:8000/ws');
  assert.deepEqual(plain.notes, ['NIXFLEET_URL: "http://fleet.example.org:8000" is the dashboard\'s web address; the agent connects to ws://fleet.example.org:8000/ws']);
  assert.equal(loadAgentConfig({ ...good, NIXFLEET_URL: 'https://fleet.example.org/nixfleet/ws' }).url, 'wss://fleet.example.org/nixfleet/ws');
  assert.deepEqual(loadAgentConfig(good).notes, [], 'a ws:// address needs no note');
});

test('NIXFLEET_REFRESH_INTERVAL is a duration, and 0 or off turns the background checks off', () => {
  const intervalOf = (text: string) => loadAgentConfig({ ...good, NIXFLEET_REFRESH_INTERVAL: text }).refreshIntervalMs;
  assert.deepEqual(['1s', '90s', '1h30m', '0', '0s', 'off', 'OFF'].map(intervalOf), [1_000, 90_000, 5_400_000, null, null, null, null]);
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
  for (const name of ['NIXFLEET_URL', 'NIXFLEET_TOKEN_FILE', 'NIXFLEET_REPO_URL', 'NIXFLEET_REPO_DIR', 'NIXFLEET_BRANCH', 'NIXFLEET_SSH_KEY', 'NIXFLEET_INTERVAL', 'NIXFLEET_HOSTNAME', 'NIXFLEET_LOCATION', 'NIXFLEET_DEVICE_TYPE', 'NIXFLEET_THEME_COLOR', 'NIXFLEET_STATE_DIR', 'NIXFLEET_REFRESH_INTERVAL', '--check']) {
    assert.ok(HELP_TEXT.includes(name), `--help mentions ${name}`);
  }
  assert.deepEqual(parseCli(['--help']), { ok: true, mode: 'help' });
  assert.deepEqual(parseCli([]), { ok: true, mode: 'run' });
  assert.equal(parseCli(['--check', 'extra']).ok, false);
});

test('--version prints the version', async () => {
  const version = await runAgent(agentEnv({}), ['--version']);
  assert.equal(version.code, 0);
  assert.equal(version.stdout, `nixfleet-agent ${AGENT_VERSION}\n`);
});

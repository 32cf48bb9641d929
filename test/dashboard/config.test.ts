// Settings are read once from the environment, with the existing dashboard's names and formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, isBranchName, loadConfig, parseListen } from '../../src/dashboard/config.js';
import { parseDuration, parseSize } from '../../src/util/units.js';

test('durations: 500ms, 30s, 5m, 24h and Go compound forms', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('24h'), 86_400_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1.5s'), 1500);
  for (const bad of ['', '30', 's', '5 m', '-1s', '1y']) assert.equal(parseDuration(bad), null, bad);
});

test('sizes: 1MiB, 512KiB, 2MB and plain bytes', () => {
  assert.equal(parseSize('1MiB'), 1_048_576);
  assert.equal(parseSize('512KiB'), 524_288);
  assert.equal(parseSize('2MB'), 2_000_000);
  assert.equal(parseSize('4096'), 4096);
  assert.equal(parseSize('1 tb'), null);
});

test('listen addresses: :8000, host:port, [v6]:port', () => {
  assert.deepEqual(parseListen(':8000'), { host: '0.0.0.0', port: 8000 });
  assert.deepEqual(parseListen('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListen('[::1]:9000'), { host: '::1', port: 9000 });
  assert.equal(parseListen('localhost'), null);
  assert.equal(parseListen(':70000'), null);
});

test('with no environment the defaults of the contract apply', () => {
  const config = loadConfig({});
  assert.equal(config.listenPort, 8000);
  assert.equal(config.dataDir, path.resolve('./data'));
  assert.equal(config.sessionDurationMs, 86_400_000);
  assert.equal(config.rateLimit, 5);
  assert.equal(config.rateWindowMs, 60_000);
  assert.equal(config.pingIntervalMs, 30_000);
  assert.equal(config.offlineTimeoutMs, 30_000);
  assert.equal(config.maxMessageBytes, 1_048_576);
  assert.deepEqual(config.allowedOrigins, []);
});

test('a bad setting is an error naming the variable', () => {
  const cases: Record<string, string> = {
    NIXFLEET_PING_INTERVAL: 'often',
    NIXFLEET_RATE_LIMIT: '0',
    NIXFLEET_LISTEN: 'everywhere',
    NIXFLEET_PASSWORD_HASH: 'plaintext',
    NIXFLEET_TOTP_SECRET: 'not base32!',
    NIXFLEET_MAX_MESSAGE: 'big',
  };
  for (const [name, value] of Object.entries(cases)) {
    assert.throws(() => loadConfig({ [name]: value }), (err: unknown) => err instanceof ConfigError && err.variable === name && err.message.startsWith(name));
  }
});

test('the desired state: no source by default, branch main, a poll every minute', () => {
  const config = loadConfig({});
  assert.equal(config.repoUrl, undefined);
  assert.equal(config.repoBranch, 'main');
  assert.equal(config.repoPollMs, 60_000);
  assert.equal(config.repoSshKeyPath, undefined);
  assert.equal(config.webhookSecret, undefined);
  assert.equal(config.versionUrl, undefined);
  assert.equal(config.agentVersion, undefined);
});

test('the desired state settings are read as given', () => {
  const config = loadConfig({
    NIXFLEET_REPO_URL: 'git@github.com:example/fleet.git',
    NIXFLEET_BRANCH: 'release/2025-06',
    NIXFLEET_REPO_POLL: '5m',
    NIXFLEET_SSH_KEY: 'keys/deploy',
    NIXFLEET_WEBHOOK_SECRET: 's3cret',
    NIXFLEET_VERSION_URL: 'https://fleet.example.org/version.json',
    NIXFLEET_AGENT_VERSION: 'v0.2.0',
  });
  assert.equal(config.repoUrl, 'git@github.com:example/fleet.git');
  assert.equal(config.repoBranch, 'release/2025-06');
  assert.equal(config.repoPollMs, 300_000);
  assert.equal(config.repoSshKeyPath, path.resolve('keys/deploy'));
  assert.equal(config.webhookSecret, 's3cret');
  assert.equal(config.versionUrl, 'https://fleet.example.org/version.json');
  assert.equal(config.agentVersion, '0.2.0');
  // The longest a timer-backed setting may be.
  assert.equal(loadConfig({ NIXFLEET_REPO_POLL: '24d' }).repoPollMs, 24 * 86_400_000);
});

test('branch names: what git accepts and cannot be read as an option', () => {
  for (const good of ['main', 'release/2025-06', 'feature_x.y', 'v1']) assert.ok(isBranchName(good), good);
  for (const bad of ['', '-main', '--upload-pack=x', 'a..b', 'a b', 'a:b', 'a~1', 'a^', 'a?', 'a*', 'a[', 'a\\b', '/a', 'a/', 'a//b', 'a.', '.a', 'a/.b', 'a.lock', 'a@{1}', '@', 'a\x00']) {
    assert.equal(isBranchName(bad), false, JSON.stringify(bad));
  }
});

test('a bad desired-state setting is an error naming the variable', () => {
  const cases: [string, string][] = [
    ['NIXFLEET_BRANCH', 'a..b'],
    ['NIXFLEET_BRANCH', '-x'],
    ['NIXFLEET_BRANCH', ''],
    ['NIXFLEET_REPO_POLL', 'hourly'],
    ['NIXFLEET_REPO_POLL', '0s'],
    // Longer than a Node timer keeps: it would fire at once, a fetch or a ping without a pause.
    ['NIXFLEET_REPO_POLL', '30d'],
    ['NIXFLEET_PING_INTERVAL', '30d'],
    ['NIXFLEET_OFFLINE_TIMEOUT', '25d'],
    ['NIXFLEET_REPO_URL', '--upload-pack=touch /tmp/x'],
    ['NIXFLEET_REPO_URL', 'https://example.org/\nfleet.git'],
    ['NIXFLEET_VERSION_URL', 'ftp://example.org/version.json'],
    ['NIXFLEET_VERSION_URL', 'not a url'],
    ['NIXFLEET_AGENT_VERSION', 'latest'],
  ];
  for (const [name, value] of cases) {
    assert.throws(
      () => loadConfig({ [name]: value }),
      (err: unknown) => err instanceof ConfigError && err.variable === name,
      `${name}=${JSON.stringify(value)}`,
    );
  }
});

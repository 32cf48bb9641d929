// Settings are read once from the environment, with the existing dashboard's names and formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, loadConfig, parseListen } from '../../src/dashboard/config.js';
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

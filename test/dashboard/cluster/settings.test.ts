// A cluster's settings: NIXFLEET_REDIS_URL turns it on, and what every instance would otherwise
// generate for itself must be given, the same everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../../src/dashboard/config.js';
import { decodeBusMessage, encodeBusMessage } from '../../../src/dashboard/cluster/bus.js';

const CLUSTER = {
  NIXFLEET_REDIS_URL: 'redis://10.0.0.5:6379',
  NIXFLEET_DATABASE_URL: 'postgres://nixfleet@10.0.0.6/nixfleet',
  NIXFLEET_PASSWORD_HASH: '$2b$12$abcdefghijklmnopqrstuuF4m3i1z2m0kz3Z6Qb3uYb2s4bq5X1e',
  NIXFLEET_SESSION_SECRET: 'a-session-secret-shared-by-all-instances',
  NIXFLEET_AGENT_TOKEN: 'a-shared-agent-token',
};

test('a cluster: redis and postgres URLs, a prefix, and the shared secrets', () => {
  const config = loadConfig({ ...CLUSTER, NIXFLEET_REDIS_PREFIX: 'fleet-a' });
  assert.equal(config.redisUrl, 'redis://10.0.0.5:6379');
  assert.equal(config.redisPrefix, 'fleet-a');
  assert.equal(loadConfig(CLUSTER).redisPrefix, 'nixfleet');
  assert.equal(loadConfig({}).redisUrl, undefined, 'no cluster by default');
});

test('a cluster refuses settings each instance would make up on its own', () => {
  const refused = (env: Record<string, string | undefined>, variable: string) =>
    assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && err.variable === variable, variable);
  refused({ ...CLUSTER, NIXFLEET_DATABASE_URL: undefined }, 'NIXFLEET_DATABASE_URL');
  refused({ ...CLUSTER, NIXFLEET_PASSWORD_HASH: undefined }, 'NIXFLEET_PASSWORD_HASH');
  refused({ ...CLUSTER, NIXFLEET_SESSION_SECRET: undefined }, 'NIXFLEET_SESSION_SECRET');
  refused({ ...CLUSTER, NIXFLEET_AGENT_TOKEN: undefined }, 'NIXFLEET_AGENT_TOKEN');
  // Without the shared agent token at all, there is nothing to share.
  assert.equal(loadConfig({ ...CLUSTER, NIXFLEET_AGENT_TOKEN: undefined, NIXFLEET_ALLOW_SHARED_AGENT_TOKEN: 'false' }).agentToken, undefined);
  refused({ ...CLUSTER, NIXFLEET_REDIS_URL: 'http://10.0.0.5' }, 'NIXFLEET_REDIS_URL');
  for (const prefix of ['', 'a b', 'fleet*', 'x'.repeat(65)]) refused({ ...CLUSTER, NIXFLEET_REDIS_PREFIX: prefix }, 'NIXFLEET_REDIS_PREFIX');
});

test('bus messages: a header and a body of any bytes; anything else is no message', () => {
  const body = Buffer.from([0x0a, 0x00, 0xff, 0x7b]);
  const decoded = decodeBusMessage(encodeBusMessage({ t: 'frame', conn: '7', text: 'a\nb' }, body));
  assert.deepEqual(decoded?.header, { t: 'frame', conn: '7', text: 'a\nb' });
  assert.deepEqual(decoded?.body, body);
  for (const junk of ['', 'no newline', '{"x":1}\n', '[1]\nbody', '{"t":5}\n', 'not json\n']) {
    assert.equal(decodeBusMessage(Buffer.from(junk)), null, JSON.stringify(junk));
  }
});

// A TOTP code works once, also across a restart of the dashboard: the step last used is stored (and
// so, in a cluster, the next leader knows it too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret, TOTP } from 'otpauth';
import { postLogin, startTestDashboard, tempDir, TEST_PASSWORD } from '../helpers/dashboard.js';

test('a code used before a restart is refused after it', async () => {
  const secret = new Secret({ size: 20 });
  const totp = new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 });
  const dataDir = tempDir();
  const env = { NIXFLEET_TOTP_SECRET: secret.base32, NIXFLEET_RATE_LIMIT: '50' };
  const first = await startTestDashboard(env, dataDir);
  const code = totp.generate();
  try {
    assert.equal((await postLogin(first.url, { password: TEST_PASSWORD, totp: code })).status, 303);
  } finally {
    await first.close();
  }
  const second = await startTestDashboard(env, dataDir);
  try {
    const replay = await postLogin(second.url, { password: TEST_PASSWORD, totp: code });
    assert.equal(replay.status, 401);
    assert.match(replay.body, /already used/);
  } finally {
    await second.close();
  }
});

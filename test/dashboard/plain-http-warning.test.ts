// A dashboard listening beyond loopback with no TLS proxy declared says so at start, and how to put one
// in front; on loopback, or with NIXFLEET_TRUSTED_PROXIES set, it says nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopback, plainHttpWarning, TLS_DOCS } from '../../src/dashboard/plain-http-warning.js';
import { tempDir } from '../helpers/dashboard.js';
import { startProgram } from './support/dashboard-program.js';

test('which listen addresses are loopback', () => {
  const table: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.20', false],
    ['fleet.example.org', false],
  ];
  for (const [host, loopback] of table) assert.equal(isLoopback(host), loopback, host);
});

test('the warning: beyond loopback without a declared proxy only, with the way out', () => {
  assert.equal(plainHttpWarning({ listenHost: '127.0.0.1', trustedProxies: [] }, 8000), null);
  assert.equal(plainHttpWarning({ listenHost: '0.0.0.0', trustedProxies: ['10.0.0.5'] }, 8000), null);
  const warning = plainHttpWarning({ listenHost: '0.0.0.0', trustedProxies: [] }, 8000) ?? '';
  assert.match(warning, /^listening on 0\.0\.0\.0:8000 over plain HTTP/);
  assert.match(warning, /NIXFLEET_LISTEN=127\.0\.0\.1:8000/);
  assert.match(warning, /NIXFLEET_TRUSTED_PROXIES/);
  assert.ok(warning.includes(TLS_DOCS));
  assert.match(plainHttpWarning({ listenHost: '::', trustedProxies: [] }, 8000) ?? '', /^listening on \[::\]:8000/);
});

/** Starts the real program with `env`, stops it, and returns all it logged. */
async function startLog(env: Record<string, string>): Promise<string> {
  const program = await startProgram({ NIXFLEET_DATA_DIR: tempDir(), NIXFLEET_PASSWORD: 'pw', ...env });
  assert.equal(await program.stop(), 0);
  return program.output();
}

const WARNING_LINE = /"level":40,[^\n]*over plain HTTP[^\n]*SECURITY\.md#deploying-behind-a-tls-proxy/;

test('the program warns when it listens on every address with no proxy declared, and not otherwise', async () => {
  const [everywhere, loopback, behindProxy] = await Promise.all([
    startLog({ NIXFLEET_LISTEN: '0.0.0.0:0' }),
    startLog({ NIXFLEET_LISTEN: '127.0.0.1:0' }),
    startLog({ NIXFLEET_LISTEN: '0.0.0.0:0', NIXFLEET_TRUSTED_PROXIES: '127.0.0.1' }),
  ]);
  assert.match(everywhere, WARNING_LINE);
  assert.doesNotMatch(loopback, /plain HTTP/);
  assert.doesNotMatch(behindProxy, /plain HTTP/);
});

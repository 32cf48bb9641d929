// Where the command line finds the dashboard: its web address or the address its agents use, with or
// without a path prefix, give the same API base and socket; flags win over the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dashboardAddress, resolveSettings } from '../../src/cli/settings.js';
import { CliError, EXIT_USAGE } from '../../src/cli/errors.js';

test('http(s) and ws(s) addresses, with /ws or a path prefix, name the same dashboard', () => {
  const cases: [string, string, string][] = [
    ['https://fleet.example.org', 'https://fleet.example.org', 'wss://fleet.example.org/ws'],
    ['https://fleet.example.org/', 'https://fleet.example.org', 'wss://fleet.example.org/ws'],
    ['wss://fleet.example.org/ws', 'https://fleet.example.org', 'wss://fleet.example.org/ws'],
    ['ws://127.0.0.1:8000/ws/', 'http://127.0.0.1:8000', 'ws://127.0.0.1:8000/ws'],
    ['http://127.0.0.1:8000', 'http://127.0.0.1:8000', 'ws://127.0.0.1:8000/ws'],
    ['https://example.org/nixfleet/', 'https://example.org/nixfleet', 'wss://example.org/nixfleet/ws'],
    ['wss://example.org/nixfleet/ws', 'https://example.org/nixfleet', 'wss://example.org/nixfleet/ws'],
  ];
  for (const [given, httpBase, wsUrl] of cases) assert.deepEqual(dashboardAddress(given, 'NIXFLEET_URL'), { httpBase, wsUrl }, given);
});

test('--url and --token-file win over NIXFLEET_URL and NIXFLEET_API_TOKEN; the file may end in a newline', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nixfleet-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'token');
  fs.writeFileSync(file, 'nfx_from-the-file\n');
  const env = { NIXFLEET_URL: 'https://env.example.org', NIXFLEET_API_TOKEN: 'nfx_from-the-env' };
  assert.deepEqual(resolveSettings(env, {}), { httpBase: 'https://env.example.org', wsUrl: 'wss://env.example.org/ws', token: 'nfx_from-the-env' });
  assert.deepEqual(resolveSettings(env, { url: 'wss://flag.example.org/ws', tokenFile: file }), {
    httpBase: 'https://flag.example.org',
    wsUrl: 'wss://flag.example.org/ws',
    token: 'nfx_from-the-file',
  });
  fs.writeFileSync(file, '\n');
  assert.throws(() => resolveSettings(env, { tokenFile: file }), (err: unknown) => err instanceof CliError && err.exitCode === EXIT_USAGE && /is empty/.test(err.message));
});

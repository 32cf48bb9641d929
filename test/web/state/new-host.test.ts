// The "Add host" form refuses, before any request, every hostname the protocol refuses, and sends
// only the fields the admin filled in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHostBody, EMPTY_NEW_HOST, hostnameProblem } from '../../../src/web/state/new-host.js';

test('hostnames the protocol takes pass; the others are refused with a reason', () => {
  for (const good of ['web-01', 'a', 'db.example', 'mac_mini', ' padded ', 'x'.repeat(63)]) {
    assert.equal(hostnameProblem(good), null, good);
  }
  assert.match(hostnameProblem('') ?? '', /Enter the name/);
  assert.match(hostnameProblem('   ') ?? '', /Enter the name/);
  for (const bad of ['bad host', '-web', '.web', '../etc', 'web/01', 'wéb', 'x'.repeat(64), '<b>']) {
    assert.match(hostnameProblem(bad) ?? '', /is not a hostname the agent can register/, bad);
  }
});

test('the body leaves out the optional fields left empty, and trims what was typed', () => {
  assert.deepEqual(createHostBody({ ...EMPTY_NEW_HOST, hostname: ' web-01 ', location: '  ' }), { hostname: 'web-01', host_type: 'nixos' });
  assert.deepEqual(
    createHostBody({ hostname: 'mac-01', hostType: 'macos', location: ' desk ', deviceType: 'laptop', themeColor: '#112233' }),
    { hostname: 'mac-01', host_type: 'macos', location: 'desk', device_type: 'laptop', theme_color: '#112233' },
  );
});

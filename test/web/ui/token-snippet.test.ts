// The commands shown with a new token paste as they are: the token stays one shell word whatever it
// holds, and the file is private from the moment it exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { printToken, tokenSnippet, TOKEN_DIR, TOKEN_FILE_PATH } from '../../../src/web/ui/hosts/token-snippet.js';

test('the snippet writes the token to a root-only file and names it for the agent', () => {
  assert.equal(
    tokenSnippet('AbC-123_xyz'),
    "install -d -m 700 /etc/nixfleet && (umask 077 && printf '%s\\n' 'AbC-123_xyz' > /etc/nixfleet/agent-token)\nNIXFLEET_TOKEN_FILE=/etc/nixfleet/agent-token",
  );
});

test('a quote or a $ in a token cannot break out of the quoting', () => {
  const token = `it's $(reboot) "x"`;
  assert.equal(execFileSync('sh', ['-c', printToken(token)], { encoding: 'utf8' }), `${token}\n`);
});

test('run as written (in a scratch root), the file holds the token and only its owner can read it', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'token-snippet-'));
  const script = tokenSnippet('secret-token').split('\n')[0]?.replaceAll(TOKEN_DIR, `${root}${TOKEN_DIR}`) ?? '';
  fs.mkdirSync(path.join(root, 'etc'));
  execFileSync('sh', ['-c', script]);
  const file = `${root}${TOKEN_FILE_PATH}`;
  assert.equal(fs.readFileSync(file, 'utf8'), 'secret-token\n');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(`${root}${TOKEN_DIR}`).mode & 0o777, 0o700);
});

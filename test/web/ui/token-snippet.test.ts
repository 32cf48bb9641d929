// The command shown with a new token pastes as it is: the token stays one shell word whatever it
// holds, and the file is private from the moment it exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { printToken, shellWord, TOKEN_DIR, TOKEN_FILE_PATH, tokenFileCommand } from '../../../src/web/ui/hosts/token-snippet.js';

test('on NixOS the command, run as root, writes the token to a root-only file', () => {
  assert.equal(
    tokenFileCommand('AbC-123_xyz', 'nixos'),
    "install -d -m 700 /etc/nixfleet && (umask 077 && printf '%s\\n' 'AbC-123_xyz' > /etc/nixfleet/agent-token)",
  );
});

test('on macOS, where the agent runs as the host’s user, that user gets the directory (through sudo) and writes the file', () => {
  assert.equal(
    tokenFileCommand('AbC-123_xyz', 'macos'),
    `sudo install -d -m 700 -o "$(id -un)" /etc/nixfleet && (umask 077 && printf '%s\\n' 'AbC-123_xyz' > /etc/nixfleet/agent-token)`,
  );
});

test('a quote or a $ in a token cannot break out of the quoting', () => {
  const token = `it's $(reboot) "x"`;
  assert.equal(execFileSync('sh', ['-c', printToken(token)], { encoding: 'utf8' }), `${token}\n`);
});

test('a shell word is left as it is when nothing in it is special, and quoted when something is', () => {
  assert.equal(shellWord('wss://fleet.example.org/ws'), 'wss://fleet.example.org/ws');
  assert.equal(shellWord('ws://[::1]:8000/ws'), "'ws://[::1]:8000/ws'");
  assert.equal(execFileSync('sh', ['-c', `printf %s ${shellWord("a b'c*")}`], { encoding: 'utf8' }), "a b'c*");
});

test('run as written (in a scratch root), the file holds the token and only its owner can read it', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'token-snippet-'));
  try {
    const script = tokenFileCommand('secret-token', 'nixos').replaceAll(TOKEN_DIR, `${root}${TOKEN_DIR}`);
    fs.mkdirSync(path.join(root, 'etc'));
    execFileSync('sh', ['-c', script]);
    const file = `${root}${TOKEN_FILE_PATH}`;
    assert.equal(fs.readFileSync(file, 'utf8'), 'secret-token\n');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(`${root}${TOKEN_DIR}`).mode & 0o777, 0o700);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

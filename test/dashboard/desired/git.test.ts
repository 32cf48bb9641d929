// Running git for the mirror: its reason on failure is the line a person can act on, a hung git is
// ended by its time limit, a missing git is said plainly, and the ssh key reaches ssh intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GIT_REASON_MAX_CHARS, GitError, gitEnv, gitReason, runGit } from '../../../src/dashboard/desired/git.js';
import { redactUrlCredentials } from '../../../src/dashboard/desired/source.js';

test("git's reason is its last meaningful line, without fatal: and the access-rights boilerplate", () => {
  const cases: [string, string][] = [
    [
      "fatal: '/srv/fleet.git' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n",
      "'/srv/fleet.git' does not appear to be a git repository",
    ],
    [
      "Warning: Permanently added 'git.example.org' (ED25519) to the list of known hosts.\r\ngit@git.example.org: Permission denied (publickey).\r\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n",
      'git@git.example.org: Permission denied (publickey).',
    ],
    ["fatal: couldn't find remote ref refs/heads/release\n", "couldn't find remote ref refs/heads/release"],
    ["fatal: could not read Username for 'https://github.com': terminal prompts disabled\n", "could not read Username for 'https://github.com': terminal prompts disabled"],
    ['hint: something helpful\nerror: cannot lock ref\n', 'cannot lock ref'],
    ['', 'git failed without saying why'],
  ];
  for (const [stderr, reason] of cases) assert.equal(gitReason(stderr), reason);
});

test('a reason hides a password in a URL and is bounded in length', () => {
  assert.equal(gitReason("fatal: unable to access 'https://bot:s3cret@git.example.org/fleet.git/': 403"), "unable to access 'https://bot:***@git.example.org/fleet.git/': 403");
  assert.equal(redactUrlCredentials('following https://ghp_s3cret@github.com/org/fleet.git'), 'following https://***@github.com/org/fleet.git', 'a token alone');
  assert.equal(redactUrlCredentials('ssh://git@git.example.org/fleet.git'), 'ssh://git@git.example.org/fleet.git', 'an ssh user is no secret');
  const long = gitReason(`fatal: ${'x'.repeat(5_000)}`);
  assert.equal(long.length, GIT_REASON_MAX_CHARS);
});

test('git never prompts, and the ssh key path reaches ssh as one word whatever it contains', () => {
  const keyPath = "/var/lib/nix fleet/it's $HOME `key`";
  const env = gitEnv(keyPath, { PATH: '/usr/bin:/bin' });
  assert.equal(env.GIT_TERMINAL_PROMPT, '0');
  assert.match(env.GIT_SSH_COMMAND ?? '', /-o IdentitiesOnly=yes/);
  assert.match(env.GIT_SSH_COMMAND ?? '', /-o StrictHostKeyChecking=accept-new/);
  // git runs GIT_SSH_COMMAND through sh: the word after -i must be the path, byte for byte.
  const shell = spawnSync('sh', ['-c', `set -- ${env.GIT_SSH_COMMAND}; printf '%s' "$3"`], { encoding: 'utf8' });
  assert.equal(shell.stdout, keyPath);
  assert.equal(gitEnv(undefined, {}).GIT_SSH_COMMAND, undefined, 'without a key, ssh is left as configured');
});

test('a git that hangs is ended by its time limit with a timeout error', async (t) => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const { port } = silent.address() as net.AddressInfo;
  const began = Date.now();
  await assert.rejects(
    runGit(['ls-remote', `http://127.0.0.1:${port}/fleet.git`], { env: gitEnv(undefined), timeoutMs: 300 }),
    (err: unknown) => err instanceof GitError && err.code === 'git_timeout' && /ls-remote took longer than 0.3s/.test(err.reason),
  );
  assert.ok(Date.now() - began < 3_000);
});

test('a missing git is said plainly', async () => {
  await assert.rejects(
    runGit(['--version'], { env: { PATH: '/nonexistent' } }),
    (err: unknown) => err instanceof GitError && err.code === 'git_missing' && /not installed/.test(err.reason),
  );
});

test('an exit code that answers a question resolves; any other is a failure', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nixfleet-git-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = gitEnv(undefined);
  await runGit(['init', '--quiet', '--bare', dir], { env });
  const ask = ['--git-dir=' + dir, 'rev-parse', '--verify', '--quiet', 'refs/heads/none'];
  const answer = await runGit(ask, { env, answerCodes: [1] });
  assert.equal(answer.exitCode, 1);
  await assert.rejects(runGit(ask, { env }), (err: unknown) => err instanceof GitError && err.code === 'git_failed');
});

// The dashboard's command line, run as the real program: --help and --version answer and exit without
// starting anything, an unknown argument is one line and exit 2, and hash-password makes a hash the
// dashboard then accepts, reading the password from stdin or from a terminal without echo, never argv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { verifyPassword } from '../../src/dashboard/auth/passwords.js';
import { postLogin, tempDir } from '../helpers/dashboard.js';
import { MAIN_ARGS, programEnv, runProgram, startProgram, START_TIMEOUT_MS } from './support/dashboard-program.js';

const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const ARGON2ID_HASH = /\$argon2id\$v=19\$\S+/;

/** Settings under which a start would be visible: a data dir that a server would create. */
function serverEnv(): { env: Record<string, string>; dataDir: string } {
  const dataDir = path.join(tempDir(), 'data');
  return { env: { NIXFLEET_LISTEN: '127.0.0.1:0', NIXFLEET_DATA_DIR: dataDir }, dataDir };
}

/** Runs `check` for every item at once: each is a process start, slow on a loaded machine. */
async function forEach<T>(items: T[], check: (item: T) => Promise<void>): Promise<void> {
  await Promise.all(items.map(check));
}

test('--help and -h print the usage and exit 0 without starting a dashboard', async () => {
  await forEach(['--help', '-h'], async (flag) => {
    const { env, dataDir } = serverEnv();
    const run = await runProgram([flag], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^nixfleet-dashboard: /);
    assert.match(run.stdout, /Usage:/);
    assert.match(run.stdout, /hash-password/);
    assert.match(run.stdout, /NIXFLEET_LISTEN/);
    assert.equal(run.stderr, '');
    assert.equal(fs.existsSync(dataDir), false, `${flag}: no data dir, so nothing was started`);
  });
});

test('--version and -V print the package version and exit 0', async () => {
  await forEach(['--version', '-V'], async (flag) => {
    const { env, dataDir } = serverEnv();
    const run = await runProgram([flag], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `nixfleet-dashboard ${PACKAGE_VERSION}\n`);
    assert.equal(fs.existsSync(dataDir), false);
  });
});

test('an unknown argument: one line naming it, exit 2, nothing started', async () => {
  await forEach([['--port=9000'], ['serve'], ['--help', 'extra']], async (args) => {
    const { env, dataDir } = serverEnv();
    const run = await runProgram(args, { env });
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.ok(run.stderr.includes(args[0] ?? ''), run.stderr);
    assert.equal(fs.existsSync(dataDir), false);
  });
});

test('hash-password reads stdin and prints an argon2id hash; the dashboard started with it logs in with that password', async () => {
  const password = 'a long pass phrase, with ünicode';
  const run = await runProgram(['hash-password'], { input: `${password}\n` });
  assert.equal(run.code, 0, run.stderr);
  const hash = run.stdout.trim();
  assert.match(hash, ARGON2ID_HASH);
  assert.equal(run.stdout, `${hash}\n`, 'only the hash, on one line');
  assert.equal(await verifyPassword(hash, password), true);
  assert.equal(await verifyPassword(hash, `${password}\n`), false, 'the trailing newline is not part of it');

  const dashboard = await startProgram({ NIXFLEET_LISTEN: '127.0.0.1:0', NIXFLEET_DATA_DIR: tempDir(), NIXFLEET_PASSWORD_HASH: hash });
  try {
    assert.doesNotMatch(dashboard.output(), /admin password:/, 'no password is generated when the hash is set');
    assert.equal((await postLogin(dashboard.url, { password: 'wrong' })).status, 401);
    assert.equal((await postLogin(dashboard.url, { password })).status, 303);
  } finally {
    assert.equal(await dashboard.stop(), 0);
  }
});

test('hash-password never takes the password from the command line, and refuses an empty stdin', async () => {
  const [fromArgv, empty, help] = await Promise.all([
    runProgram(['hash-password', 'hunter2'], { input: 'ignored\n' }),
    runProgram(['hash-password'], { input: '' }),
    runProgram(['hash-password', '--help']),
  ]);
  assert.equal(fromArgv.code, 2);
  assert.equal(fromArgv.stdout, '', 'no hash of anything');
  assert.equal(fromArgv.stderr.trim().split('\n').length, 1);
  assert.doesNotMatch(fromArgv.stderr, /hunter2/, 'what may be a password is not repeated');
  assert.match(fromArgv.stderr, /stdin/);

  assert.equal(empty.code, 2);
  assert.equal(empty.stdout, '');
  assert.match(empty.stderr, /no password on stdin/);

  assert.equal(help.code, 0);
  assert.match(help.stdout, /never taken from the command line/);
});

/** Runs `hash-password` on a pseudo-terminal (util-linux `script`), typing each answer after its prompt. */
function onTerminal(answers: string[]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, ...MAIN_ARGS, 'hash-password'].map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(' ');
  const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], { env: programEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  const prompts = ['New admin password: ', 'Repeat it: '];
  let screen = '';
  let answered = 0;
  const onData = (chunk: Buffer) => {
    screen += chunk.toString();
    // Each answer is typed once its prompt shows, as a person would: never into a terminal still echoing.
    while (answered < answers.length && screen.includes(prompts[answered] ?? '\u0000')) {
      child.stdin.write(`${answers[answered]}\r`);
      answered += 1;
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hash-password on a terminal did not end:\n${screen}`));
    }, START_TIMEOUT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

test('at a terminal, hash-password asks twice and echoes nothing typed', { skip: hasScript ? false : 'needs util-linux script for a pseudo-terminal' }, async () => {
  const password = 'typed-at-the-terminal-42';
  const { code, screen } = await onTerminal([password, password]);
  assert.equal(code, 0, screen);
  assert.match(screen, /New admin password: /);
  assert.match(screen, /Repeat it: /);
  assert.ok(!screen.includes(password), `the password was echoed:\n${screen}`);
  const hash = ARGON2ID_HASH.exec(screen)?.[0] ?? '';
  assert.equal(await verifyPassword(hash, password), true);
});

test('at a terminal, two different answers: no hash, exit 2', { skip: hasScript ? false : 'needs util-linux script for a pseudo-terminal' }, async () => {
  const { code, screen } = await onTerminal(['first-answer', 'second-answer']);
  assert.equal(code, 2, screen);
  assert.match(screen, /the two passwords differ/);
  assert.doesNotMatch(screen, ARGON2ID_HASH);
  assert.ok(!screen.includes('first-answer') && !screen.includes('second-answer'), screen);
});

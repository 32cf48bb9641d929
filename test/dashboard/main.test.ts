// The dashboard as a program: a first start without configuration generates and prints the admin
// password and the agent token once, keeps only hashes, and they work; SIGTERM stops it cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { postLogin, tempDir } from '../helpers/dashboard.js';
import { builtArgs } from '../helpers/built-program.js';
import { TestSocket, registerPayload } from '../helpers/sockets.js';

const MAIN_ARGS = builtArgs('src/dashboard/main.ts');

interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
}

/** Starts the real program in `cwd` with no NIXFLEET_* settings but a loopback listen address. */
async function startProgram(cwd: string): Promise<Started> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('NIXFLEET_')));
  // Tests listen on loopback only; every other setting is the default.
  const child = spawn(process.execPath, MAIN_ARGS, { cwd, env: { ...env, NIXFLEET_LISTEN: '127.0.0.1:0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${output}`)), 20_000);
    const check = () => {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return { child, output: () => output, url };
}

function stop(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const start = Date.now();
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve({ code, ms: Date.now() - start }));
    child.kill('SIGTERM');
  });
}

test('first start generates credentials, prints them once, keeps hashes in ./data; they work; a restart prints nothing new', async () => {
  const cwd = tempDir();
  const first = await startProgram(cwd);
  let child: ChildProcess = first.child;
  try {
    const password = /admin password: (\S+)/.exec(first.output())?.[1];
    const token = /agent token: +(\S+)/.exec(first.output())?.[1];
    assert.ok(password && token, first.output());
    const dataDir = path.join(cwd, 'data');
    assert.ok(fs.existsSync(path.join(dataDir, 'nixfleet.sqlite')));
    const kept = fs.readdirSync(dataDir).map((f) => fs.readFileSync(path.join(dataDir, f)).toString('latin1')).join('\n');
    assert.ok(!kept.includes(password), 'the password itself is not stored');
    assert.ok(!kept.includes(token), 'the token itself is not stored');

    assert.equal((await fetch(`${first.url}/health`)).status, 200);
    assert.equal((await postLogin(first.url, { password })).status, 303);
    const wsUrl = `${first.url.replace(/^http/, 'ws')}/ws`;
    const agent = await TestSocket.connect(wsUrl, { authorization: `Bearer ${token}` });
    agent.send('register', registerPayload('first-host'));
    await agent.next('registered');

    const stopped = await stop(first.child);
    assert.equal(stopped.code, 0);
    assert.ok(stopped.ms < 5000, `stopped in ${stopped.ms} ms`);
    assert.equal((await agent.closed).code, 1001);

    const second = await startProgram(cwd);
    child = second.child;
    assert.doesNotMatch(second.output(), /admin password|agent token/);
    assert.equal((await postLogin(second.url, { password })).status, 303);
    const again = await TestSocket.connect(`${second.url.replace(/^http/, 'ws')}/ws`, { authorization: `Bearer ${token}` });
    again.send('register', registerPayload('first-host'));
    await again.next('registered');
    await again.close();
  } finally {
    if (child.exitCode === null) await stop(child);
  }
});

test('a bad setting stops the program with exit code 2 and one line naming the variable', async () => {
  const child = spawn(process.execPath, MAIN_ARGS, {
    cwd: tempDir(),
    env: { ...process.env, NIXFLEET_PING_INTERVAL: 'sometimes' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.equal(stderr.trim().split('\n').length, 1);
  assert.match(stderr, /NIXFLEET_PING_INTERVAL/);
});

// The service definitions around the programs: the systemd units pass systemd's own checks and carry
// the restart rules; the dashboard unit is hardened; the two shell wrappers the modules run do what
// the units rely on (secrets from credentials into the environment; no launchd restart loop on a
// configuration error).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../helpers/repository.js';

const UNITS = ['nixfleet-agent.service', 'nixfleet-dashboard.service'].map((name) => path.join(REPO_ROOT, 'packaging/systemd', name));
const EXPORT_CREDENTIALS = path.join(REPO_ROOT, 'packaging/nixos/export-credentials.sh');
const RUN_AGENT = path.join(REPO_ROOT, 'packaging/launchd/run-agent.sh');
const RUN_TIMEOUT_MS = 30_000;
/** systemd-analyze security's exposure (0 safest, 10 least) above which a service counts as exposed. */
const MAX_DASHBOARD_EXPOSURE = 2.5;

const analyzeMissing = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status !== 0;
const SKIP_WITHOUT_SYSTEMD = analyzeMissing ? 'systemd-analyze is not installed: the unit files were not checked by systemd' : false;

let work: string;
before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'nixfleet-scripts-'));
});
after(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

function run(program: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { cwd: work, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: RUN_TIMEOUT_MS }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

/** A stand-in for nixfleet-agent: says it started, exits with $FAKE_EXIT, or on SIGTERM with 0. */
function fakeAgent(): string {
  const file = path.join(work, 'fake-agent');
  fs.writeFileSync(file, '#!/bin/bash\ntrap \'echo "got TERM"; exit 0\' TERM\necho "agent $$ started"\nif [ -n "$FAKE_EXIT" ]; then echo "NIXFLEET_URL: required" >&2; exit "$FAKE_EXIT"; fi\nwhile :; do sleep 0.1; done\n', { mode: 0o755 });
  return file;
}

test('both systemd units pass systemd-analyze verify without a warning, and a bad setting (exit 2) is not restarted', { skip: SKIP_WITHOUT_SYSTEMD }, async () => {
  for (const unit of UNITS) {
    const verified = await run('systemd-analyze', ['verify', unit]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(verified.stderr.trim(), '', `${path.basename(unit)}: ${verified.stderr}`);
    assert.match(fs.readFileSync(unit, 'utf8'), /^RestartPreventExitStatus=2$/m, path.basename(unit));
  }
});

test('the dashboard unit is hardened: systemd-analyze security rates it OK; the agent, which must run switches as root, is not sandboxed', { skip: SKIP_WITHOUT_SYSTEMD }, async () => {
  const exposure = async (unit: string) => {
    const report = await run('systemd-analyze', ['security', '--offline=true', unit]);
    const level = /Overall exposure level for \S+: ([\d.]+)/.exec(report.stdout)?.[1];
    assert.ok(level, report.stdout + report.stderr);
    return Number(level);
  };
  const [agent, dashboard] = await Promise.all(UNITS.map(exposure));
  assert.ok((dashboard ?? 10) <= MAX_DASHBOARD_EXPOSURE, `dashboard exposure ${dashboard}`);
  assert.ok((agent ?? 0) > MAX_DASHBOARD_EXPOSURE, `agent exposure ${agent}: a sandbox would break nixos-rebuild switch (packaging/README.md)`);
});

test('export-credentials.sh exports each NIXFLEET_* credential as its variable, less trailing newlines, and runs the program', async () => {
  const credentials = path.join(work, 'credentials');
  fs.mkdirSync(credentials);
  const hash = '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW';
  fs.writeFileSync(path.join(credentials, 'NIXFLEET_PASSWORD_HASH'), `${hash}\n`);
  fs.writeFileSync(path.join(credentials, 'NIXFLEET_AGENT_TOKEN'), 'token with "quotes" and `ticks`');
  fs.writeFileSync(path.join(credentials, 'ssh-key'), 'a key file: its path is the setting, not its content');
  // With -e, the program's own arguments start at argv[1].
  const report = 'console.log(JSON.stringify({ env: Object.fromEntries(Object.entries(process.env).filter(([k]) => /NIXFLEET|ssh/i.test(k))), args: process.argv.slice(1) }))';
  const result = await run('bash', [EXPORT_CREDENTIALS, process.execPath, '-e', report, 'first arg', 'second'], { CREDENTIALS_DIRECTORY: credentials });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), {
    env: { NIXFLEET_PASSWORD_HASH: hash, NIXFLEET_AGENT_TOKEN: 'token with "quotes" and `ticks`' },
    args: ['first arg', 'second'],
  });

  const without = await run('bash', [EXPORT_CREDENTIALS, process.execPath, '-e', 'console.log("ran")']);
  assert.equal(without.stdout, 'ran\n', 'no credentials directory: the program runs as it is');
});

test('run-agent.sh (launchd) turns a configuration error into a clean stop, passes restart (101) and crashes through, forwards SIGTERM', async () => {
  const agent = fakeAgent();
  const configError = await run('bash', [RUN_AGENT, agent], { FAKE_EXIT: '2' });
  assert.equal(configError.code, 0, 'launchd does not restart a successful exit');
  assert.match(configError.stderr, /^NIXFLEET_URL: required\nnixfleet-agent: stopped for a configuration error/);
  assert.equal((await run('bash', [RUN_AGENT, agent], { FAKE_EXIT: '101' })).code, 101);
  assert.equal((await run('bash', [RUN_AGENT, agent], { FAKE_EXIT: '1' })).code, 1);

  const wrapper = spawn('bash', [RUN_AGENT, agent], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  wrapper.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => wrapper.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while (!stdout.includes('started') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  wrapper.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(stdout, /got TERM/, 'the agent itself got the SIGTERM');
});

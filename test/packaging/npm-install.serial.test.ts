// `npm install -g` gives working commands without a prior build: `npm pack` builds the package on the
// way (prepare), the tarball holds the compiled programs, and installing it into an empty prefix (its
// dependencies from the npm registry) gives nixfleet-agent, nixfleet-dashboard and nixfleet that run.
// A checkout installed with `npm install -g <dir>` is built the same way.
//
// Everything happens in a copy of the working tree (as a fresh checkout with its node_modules), so the
// repository's own dist/ is never rewritten under the other tests. Slow, and bounded: each step has a
// time limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawn } from 'node:child_process';
import { REPO_ROOT } from '../helpers/repository.js';

/** Not part of a checkout: installed, generated, or another test's leftovers. */
const NOT_IN_CHECKOUT = new Set(['node_modules', 'dist', '.git', 'data', 'test-artifacts', '.test-build', 'scratch', path.join('bench', 'results')]);
const PACK_TIMEOUT_MS = 5 * 60_000;
/** Should better-sqlite3 have to be compiled from source, that takes about two minutes on two cores. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const RUN_TIMEOUT_MS = 30_000;
const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

let work: string;
let checkout: string;
let tarball: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child: none of the npm_* variables of an `npm test` around us. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
  return { ...env, npm_config_update_notifier: 'false', ...extra };
}

function run(program: string, args: string[], options: { cwd?: string; timeoutMs: number; env?: Record<string, string> }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(program, args, { cwd: options.cwd ?? work, timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, env: cleanEnv(options.env) }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr: err && code === null ? `${stderr}\n${err.message}` : stderr });
    });
  });
}

const npm = (args: string[], cwd: string, timeoutMs: number, env: Record<string, string> = {}) =>
  run('npm', [...args, '--no-audit', '--no-fund'], { cwd, timeoutMs, env });

/**
 * better-sqlite3's install downloads a prebuilt binary from GitHub, or compiles one (minutes) when it
 * cannot. The binary this checkout's own install got is offered where prebuild-install looks first
 * (its "local prebuilds"), named as the download would be, so the install takes the same path as on a
 * machine that reaches GitHub. Without that binary at hand, nothing is offered and it compiles.
 */
async function localPrebuilds(): Promise<Record<string, string>> {
  const module = path.join(REPO_ROOT, 'node_modules', 'better-sqlite3');
  if (!fs.existsSync(path.join(module, 'build', 'Release', 'better_sqlite3.node'))) return {};
  const { version: sqliteVersion } = JSON.parse(fs.readFileSync(path.join(module, 'package.json'), 'utf8')) as { version: string };
  const dir = path.join(work, 'prebuilds');
  fs.mkdirSync(dir, { recursive: true });
  const name = `better-sqlite3-v${sqliteVersion}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const packed = await run('tar', ['-czf', path.join(dir, name), '-C', module, 'build/Release/better_sqlite3.node'], { timeoutMs: RUN_TIMEOUT_MS });
  return packed.code === 0 ? { npm_config_better_sqlite3_local_prebuilds: dir } : {};
}

/** Whether another engineer's part exists yet: the `nixfleet` command's source. */
const cliExists = () => fs.existsSync(path.join(REPO_ROOT, 'src', 'cli', 'main.ts'));

/** Whether the dashboard answers --help (written alongside this test): its entry point or its cli/ says so. */
function dashboardHandlesHelp(): boolean {
  const dashboard = path.join(REPO_ROOT, 'src', 'dashboard');
  const cliDir = path.join(dashboard, 'cli');
  const files = [path.join(dashboard, 'main.ts'), ...(fs.existsSync(cliDir) ? fs.readdirSync(cliDir).filter((name) => name.endsWith('.ts')).map((name) => path.join(cliDir, name)) : [])];
  return files.some((file) => fs.readFileSync(file, 'utf8').includes('--help'));
}

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'nixfleet-npm-'));
  checkout = path.join(work, 'checkout');
  fs.cpSync(REPO_ROOT, checkout, {
    recursive: true,
    filter: (source) => !NOT_IN_CHECKOUT.has(path.relative(REPO_ROOT, source)) && !source.endsWith('.tgz'),
  });
  // As after `npm ci` in the checkout: the build tools are there, the build is not.
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
});
after(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

test('npm pack builds the package on the way: the tarball holds the compiled programs, the web client and the docs, not the sources', { timeout: PACK_TIMEOUT_MS + 30_000 }, async () => {
  assert.ok(!fs.existsSync(path.join(checkout, 'dist')), 'no build before packing');
  const out = path.join(work, 'out');
  fs.mkdirSync(out);
  const pack = await npm(['pack', '--pack-destination', out], checkout, PACK_TIMEOUT_MS);
  assert.equal(pack.code, 0, pack.stderr);
  tarball = path.join(out, `nixfleet-${version}.tgz`);
  const listing = await run('tar', ['-tzf', tarball], { timeoutMs: RUN_TIMEOUT_MS });
  const files = new Set(listing.stdout.split('\n').filter(Boolean).map((name) => name.replace(/^package\//, '')));
  for (const file of ['package.json', 'dist/agent/main.js', 'dist/dashboard/main.js', 'dist/web/manifest.json', 'docs/agent.md', 'OPERATIONS.md', 'packaging/systemd/nixfleet-agent.service', 'packaging/launchd/run-agent.sh']) {
    assert.ok(files.has(file), `${file} is in the package`);
  }
  assert.equal(files.has('dist/cli/main.js'), cliExists(), 'the nixfleet command is built exactly when its source exists');
  assert.deepEqual([...files].filter((file) => /^(src|test|bench|node_modules)\//.test(file)), [], 'no sources, tests or dependencies');
});

test('the tarball installed with npm install -g into an empty prefix gives nixfleet-agent, nixfleet-dashboard and nixfleet that run', { timeout: INSTALL_TIMEOUT_MS + 3 * RUN_TIMEOUT_MS }, async (t) => {
  assert.ok(tarball, 'the pack test made the tarball');
  const prefix = path.join(work, 'prefix');
  const install = await npm(['install', '--global', '--prefix', prefix, '--omit=dev', '--prefer-offline', tarball], work, INSTALL_TIMEOUT_MS, await localPrebuilds());
  assert.equal(install.code, 0, install.stderr);
  const bin = (name: string) => path.join(prefix, 'bin', name);

  const agentHelp = await run(bin('nixfleet-agent'), ['--help'], { timeoutMs: RUN_TIMEOUT_MS });
  assert.equal(agentHelp.code, 0, agentHelp.stderr);
  assert.match(agentHelp.stdout, /NIXFLEET_URL/);
  assert.equal((await run(bin('nixfleet-agent'), ['--version'], { timeoutMs: RUN_TIMEOUT_MS })).stdout, `nixfleet-agent ${version}\n`);

  // An unusable listen address: should --help not be handled, the dashboard refuses to start (2)
  // rather than serving.
  const dashboardHelp = await run(bin('nixfleet-dashboard'), ['--help'], { timeoutMs: RUN_TIMEOUT_MS, env: { NIXFLEET_LISTEN: 'nowhere:no-port' } });
  if (dashboardHandlesHelp()) {
    assert.equal(dashboardHelp.code, 0, dashboardHelp.stderr);
    assert.match(dashboardHelp.stdout, /NIXFLEET_LISTEN/);
  } else {
    t.diagnostic('the dashboard does not handle --help yet: only checked that the installed dashboard starts and serves');
  }
  await assertDashboardServes(bin('nixfleet-dashboard'));

  if (cliExists()) {
    const cliHelp = await run(bin('nixfleet'), ['--help'], { timeoutMs: RUN_TIMEOUT_MS });
    assert.equal(cliHelp.code, 0, cliHelp.stderr);
    assert.match(cliHelp.stdout, /nixfleet/);
  } else {
    t.diagnostic('src/cli/main.ts does not exist yet: the nixfleet command is declared in package.json but not built');
    assert.ok(!fs.existsSync(bin('nixfleet')));
  }
});

test('npm install -g from a checkout links it and builds it (prepare), so its commands run', { timeout: PACK_TIMEOUT_MS + RUN_TIMEOUT_MS }, async () => {
  fs.rmSync(path.join(checkout, 'dist'), { recursive: true, force: true });
  const prefix = path.join(work, 'prefix-checkout');
  const install = await npm(['install', '--global', '--prefix', prefix, '--prefer-offline', checkout], work, PACK_TIMEOUT_MS);
  assert.equal(install.code, 0, install.stderr);
  assert.ok(fs.existsSync(path.join(checkout, 'dist', 'agent', 'main.js')), 'prepare built the checkout');
  const version_ = await run(path.join(prefix, 'bin', 'nixfleet-agent'), ['--version'], { timeoutMs: RUN_TIMEOUT_MS });
  assert.equal(version_.stdout, `nixfleet-agent ${version}\n`, version_.stderr);
});

/** Starts the installed dashboard on a free port with a fresh data dir: /health and the login page answer, SIGTERM stops it. */
async function assertDashboardServes(program: string): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(work, 'data-'));
  const child = spawn(program, [], {
    env: cleanEnv({ NIXFLEET_LISTEN: '127.0.0.1:0', NIXFLEET_DATA_DIR: dataDir, NIXFLEET_PASSWORD: 'installed', NIXFLEET_AGENT_TOKEN: 'installed-agent-token' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the installed dashboard did not listen within ${RUN_TIMEOUT_MS} ms:\n${stdout}`)), RUN_TIMEOUT_MS);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const listening = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"dashboard listening"/.exec(stdout);
        if (listening?.[1]) {
          clearTimeout(timer);
          resolve(listening[1]);
        }
      });
      void exited.then((code) => reject(new Error(`the installed dashboard exited with ${code}:\n${stdout}`)));
    });
    assert.equal((await fetch(`${url}/health`)).status, 200);
    const page = await fetch(`${url}/login`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
  }
}

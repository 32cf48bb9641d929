// The Nix side of the packaging, as far as it can be checked without nixpkgs (which building the flake
// would fetch): every .nix file parses, the secret-path rule that guards the modules' *File options
// evaluates as it should, and every variable the modules set is one the programs read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../helpers/repository.js';

const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'data', '.git', 'test-artifacts', 'scratch', '.test-build']);
const NIX_TIMEOUT_MS = 30_000;

const nixMissing = spawnSync('nix-instantiate', ['--version'], { stdio: 'ignore' }).status !== 0;
const SKIP_WITHOUT_NIX = nixMissing ? 'nix-instantiate is not installed (on Debian: apt-get install nix-bin; .ci/run does): not checked' : false;

function filesNamed(suffix: string, dir = REPO_ROOT): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : filesNamed(suffix, full);
    return entry.isFile() && entry.name.endsWith(suffix) ? [full] : [];
  });
}

function nixInstantiate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // No build users on a machine with Debian's nix and no daemon; nothing here builds anyway.
    const env = { ...process.env, NIX_CONFIG: 'build-users-group =' };
    execFile('nix-instantiate', ['--readonly-mode', ...args], { env, timeout: NIX_TIMEOUT_MS }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('every .nix file of the repository parses', { skip: SKIP_WITHOUT_NIX }, async () => {
  const files = filesNamed('.nix');
  assert.ok(files.some((file) => file.endsWith(`${path.sep}flake.nix`)), 'flake.nix is among them');
  const results = await Promise.all(files.map(async (file) => ({ file, ...(await nixInstantiate(['--parse', file])) })));
  for (const { file, code, stderr } of results) assert.equal(code, 0, `${path.relative(REPO_ROOT, file)}: ${stderr}`);
});

test('a secret setting must be a string holding an absolute path outside the Nix store; unset is fine', { skip: SKIP_WITHOUT_NIX }, async () => {
  const rule = path.join(REPO_ROOT, 'packaging/nix/secret-path.nix');
  const expression = `
    let rule = import ${rule}; in {
      problems = map rule.problem [ null "/run/secrets/token" "secrets/token" "\${builtins.storeDir}/abc-token" ./. ];
      assertions = rule.assertions "services.x" { tokenFile = "/etc/nixfleet/token"; sshKeyFile = "key"; };
    }`;
  const result = await nixInstantiate(['--eval', '--strict', '--json', '-E', expression]);
  assert.equal(result.code, 0, result.stderr);
  const { problems, assertions } = JSON.parse(result.stdout) as { problems: (string | null)[]; assertions: { assertion: boolean; message: string }[] };
  assert.equal(problems[0], null, 'an unset secret');
  assert.equal(problems[1], null, 'an absolute path outside the store');
  assert.equal(problems[2], 'must be an absolute path, got "secrets/token"');
  assert.match(problems[3] ?? '', /^is in the Nix store \(\/nix\/store\/abc-token\), where every user can read it/);
  assert.match(problems[4] ?? '', /^must be a path written as a string/, 'a Nix path value would be copied into the store');
  assert.deepEqual(assertions, [
    { assertion: false, message: 'services.x.sshKeyFile must be an absolute path, got "key"' },
    { assertion: true, message: 'services.x.tokenFile is fine' },
  ]);
});

/** The NIXFLEET_* names that occur in `files`. */
function variablesIn(files: string[]): Set<string> {
  return new Set(files.flatMap((file) => fs.readFileSync(file, 'utf8').match(/NIXFLEET_[A-Z0-9_]+/g) ?? []));
}

function sourcesOf(dir: string): string[] {
  return filesNamed('.ts', path.join(REPO_ROOT, dir));
}

test('every variable the Nix modules and the systemd units set is one the program reads', () => {
  const agentReads = variablesIn(sourcesOf('src/agent'));
  const dashboardReads = variablesIn(sourcesOf('src/dashboard'));
  const agentPackaging = ['packaging/nix/agent-settings.nix', 'packaging/nixos/agent.nix', 'packaging/darwin/agent.nix', 'packaging/systemd/nixfleet-agent.service', 'packaging/launchd/org.nixfleet.agent.plist'];
  const dashboardPackaging = ['packaging/nixos/dashboard.nix', 'packaging/systemd/nixfleet-dashboard.service'];
  const unknown = (files: string[], reads: Set<string>) => [...variablesIn(files.map((file) => path.join(REPO_ROOT, file)))].filter((name) => !reads.has(name));
  assert.deepEqual(unknown(agentPackaging, agentReads), [], 'agent variables not read by src/agent');
  assert.deepEqual(unknown(dashboardPackaging, dashboardReads), [], 'dashboard variables not read by src/dashboard');
});

// What the new-token dialog and the empty fleet give the admin to paste: this dashboard's address (as
// the page reached it), the token file, the hostname. The environment is checked against the agent's
// own configuration loader, the module settings against the options and environment of the real
// Nix module (packaging/nix/agent-settings.nix), so neither can drift from what it configures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { loadAgentConfig } from '../../../src/agent/config.js';
import { askingForOutputBatches, dashboardWsUrl } from '../../../src/web/net/dashboard-url.js';
import {
  AGENT_TOKEN_PLACEHOLDER,
  agentEnvironment,
  agentModuleSettings,
  agentSettingsBlocks,
  nixString,
  tryAgentCommand,
  type AgentTarget,
} from '../../../src/web/ui/hosts/agent-settings.js';
import { TOKEN_FILE_PATH, tokenFileCommand } from '../../../src/web/ui/hosts/token-snippet.js';
import { REPO_ROOT } from '../../helpers/repository.js';

const AGENT_SETTINGS_NIX = path.join(REPO_ROOT, 'packaging/nix/agent-settings.nix');
const NIX_TIMEOUT_MS = 30_000;
const nixMissing = spawnSync('nix-instantiate', ['--version'], { stdio: 'ignore' }).status !== 0;
const SKIP_WITHOUT_NIX = nixMissing ? 'nix-instantiate is not installed (on Debian: apt-get install nix-bin): not checked' : false;

const web01: AgentTarget = { wsUrl: 'wss://fleet.example.org/ws', hostname: 'web-01', hostType: 'nixos' };

function scratchDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-settings-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The NIXFLEET_* variables `env` sees at the end of the shell script. */
function variablesAfter(script: string): Record<string, string> {
  const printed = execFileSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return Object.fromEntries(
    printed
      .split('\n')
      .filter((line) => line.startsWith('NIXFLEET_'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** The variables the lines set when a POSIX shell reads them (as systemd reads these simple lines). */
const variablesSetBy = (lines: string) => variablesAfter(`set -a\n${lines}\nenv`);

/** The commented example of the fleet repository, taken up as the admin would. */
const withRepoUrl = (text: string, comment: string) => text.replace(`${comment}NIXFLEET_REPO_URL=`, 'NIXFLEET_REPO_URL=');

test('the agent is sent to the dashboard the page is on: wss:// behind https, ws:// on plain http, at /ws', () => {
  assert.equal(dashboardWsUrl({ protocol: 'https:', host: 'fleet.example.org' }), 'wss://fleet.example.org/ws');
  assert.equal(dashboardWsUrl({ protocol: 'http:', host: '127.0.0.1:8000' }), 'ws://127.0.0.1:8000/ws');
  assert.equal(dashboardWsUrl({ protocol: 'http:', host: '[::1]:8000' }), 'ws://[::1]:8000/ws');
  // The page's own socket asks for output batches there; the agent's address has no query.
  assert.equal(askingForOutputBatches(dashboardWsUrl({ protocol: 'https:', host: 'fleet.example.org' })), 'wss://fleet.example.org/ws?output=batched');
});

test('a NixOS host gets the token command, the module settings and the environment, in that order', () => {
  const blocks = agentSettingsBlocks('tok-1', web01);
  assert.deepEqual(
    blocks.map((block) => [block.key, block.title, block.copyLabel]),
    [
      ['token-file', '1. On web-01, as root: the token into its file', 'Copy command'],
      ['module', '2. The agent’s settings, with the NixOS module', 'Copy module settings'],
      ['environment', 'Or without the NixOS module: the agent’s environment', 'Copy environment'],
    ],
  );
  assert.equal(blocks[0]?.text, tokenFileCommand('tok-1', 'nixos'));
  assert.equal(
    blocks[1]?.text,
    [
      'services.nixfleet-agent = {',
      '  enable = true;',
      '  url = "wss://fleet.example.org/ws";',
      '  tokenFile = "/etc/nixfleet/agent-token";',
      '  hostname = "web-01";',
      '  # and the fleet repository, one of:',
      '  # repoUrl = "git@github.com:example/fleet.git";',
      '  # repoDir = "/etc/nixos";',
      '};',
    ].join('\n'),
  );
  assert.equal(
    blocks[2]?.text,
    [
      'NIXFLEET_URL=wss://fleet.example.org/ws',
      'NIXFLEET_TOKEN_FILE=/etc/nixfleet/agent-token',
      'NIXFLEET_HOSTNAME=web-01',
      '# and the fleet repository, one of:',
      '# NIXFLEET_REPO_URL=git@github.com:example/fleet.git',
      '# NIXFLEET_REPO_DIR=/etc/nixos',
    ].join('\n'),
  );
  assert.match(blocks[2]?.hint ?? '', /\/etc\/nixfleet\/agent\.env/);
});

test('a macOS host gets the nix-darwin module and its token command as the agent’s user', () => {
  const blocks = agentSettingsBlocks('tok-2', { ...web01, hostname: 'mac-01', hostType: 'macos' });
  assert.equal(blocks[0]?.title, '1. On mac-01, as the user the agent runs for: the token into its file');
  assert.equal(blocks[0]?.text, tokenFileCommand('tok-2', 'macos'));
  assert.equal(blocks[1]?.title, '2. The agent’s settings, with the nix-darwin module');
  assert.match(blocks[1]?.hint ?? '', /darwinModules\.nixfleet-agent/);
  assert.match(blocks[1]?.text ?? '', /# repoDir = "\/etc\/nix-darwin";/);
  assert.match(blocks[2]?.hint ?? '', /launchd plist/);
});

test('the environment, with a fleet repository filled in, is one the agent accepts: this dashboard, the token in its file, the hostname', (t) => {
  const dir = scratchDir(t);
  const tokenFile = path.join(dir, 'agent-token');
  fs.writeFileSync(tokenFile, 'tok-3\n', { mode: 0o600 });
  for (const wsUrl of ['ws://127.0.0.1:8000/ws', 'wss://[::1]:8443/ws']) {
    const text = withRepoUrl(agentEnvironment({ ...web01, wsUrl }), '# ').replace(TOKEN_FILE_PATH, tokenFile);
    const config = loadAgentConfig({ ...variablesSetBy(text), NIXFLEET_STATE_DIR: dir });
    assert.equal(config.url, wsUrl);
    assert.equal(config.token, 'tok-3');
    assert.equal(config.hostname, 'web-01');
    assert.equal(config.repoUrl, 'git@github.com:example/fleet.git');
  }
});

test('a Nix string stays one string whatever it holds', () => {
  assert.equal(nixString('a"b\\c${d}'), '"a\\"b\\\\c\\${d}"');
});

function nixEval(expression: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // No build users on a machine with Debian's nix and no daemon; nothing here builds anyway.
    const env = { ...process.env, NIX_CONFIG: 'build-users-group =' };
    execFile('nix-instantiate', ['--readonly-mode', '--eval', '--strict', '--json', '-E', expression], { env, timeout: NIX_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) reject(new Error(stderr || String(error)));
      else resolve(JSON.parse(stdout));
    });
  });
}

/**
 * Evaluates the module settings with the agent module's own options (their defaults) and its own
 * `environment` and `assertions`, with just enough of nixpkgs' lib for them (no nixpkgs here).
 */
function moduleExpression(settingsText: string): string {
  return `
    let
      lib = {
        mkOption = option: option;
        mkEnableOption = what: { default = false; };
        types = { };
        optionalAttrs = condition: attrs: if condition then attrs else { };
        concatStringsSep = builtins.concatStringsSep;
      };
      settings = import ${AGENT_SETTINGS_NIX} { inherit lib; };
      withDefaults = builtins.mapAttrs (name: option: option.default) (
        builtins.removeAttrs settings.options (builtins.filter (name: !(settings.options.\${name} ? default)) (builtins.attrNames settings.options))
      );
      pasted = { ${settingsText} }.services.nixfleet-agent;
      cfg = withDefaults // pasted;
    in {
      unknownOptions = builtins.filter (name: !(settings.options ? \${name})) (builtins.attrNames pasted);
      environment = settings.environment cfg;
      failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) (settings.assertions "services.nixfleet-agent" cfg));
    }`;
}

interface ModuleResult {
  unknownOptions: string[];
  environment: Record<string, string>;
  failedAssertions: string[];
}

test('the module settings use the options the agent module declares and set the same environment as the environment block', { skip: SKIP_WITHOUT_NIX }, async () => {
  const target: AgentTarget = { ...web01, wsUrl: 'ws://127.0.0.1:8000/ws' };
  const filledIn = agentModuleSettings(target).replace('# repoUrl =', 'repoUrl =');
  const result = (await nixEval(moduleExpression(filledIn))) as ModuleResult;
  assert.deepEqual(result.unknownOptions, []);
  assert.deepEqual(result.failedAssertions, []);
  const fromEnvironmentBlock = variablesSetBy(withRepoUrl(agentEnvironment(target), '# '));
  assert.deepEqual(
    Object.fromEntries(Object.keys(fromEnvironmentBlock).map((name) => [name, result.environment[name]])),
    fromEnvironmentBlock,
    'every variable of the environment block has the same value from the module',
  );

  const asPasted = (await nixEval(moduleExpression(agentModuleSettings(target)))) as ModuleResult;
  assert.deepEqual(
    asPasted.failedAssertions,
    ['services.nixfleet-agent: set repoUrl (the agent keeps its own clone) or repoDir (the host\'s flake repository)'],
    'pasted without a repository, the module itself says what is missing',
  );
});

test('the try-it command points an agent from a checkout at this dashboard, with the token left to fill in', (t) => {
  const command = tryAgentCommand('ws://127.0.0.1:8000/ws');
  assert.equal(
    command,
    "NIXFLEET_URL=ws://127.0.0.1:8000/ws NIXFLEET_TOKEN='<agent token>' NIXFLEET_REPO_DIR=. NIXFLEET_STATE_DIR=./data/agent node dist/agent/main.js",
  );
  // Pasted as it is, the shell takes the placeholder as text (no redirection): the agent starts and
  // the dashboard refuses the token, which says what to fix.
  const dir = scratchDir(t);
  const variables = variablesAfter(command.replace(/ node dist\/agent\/main\.js$/, ' env'));
  assert.equal(variables.NIXFLEET_TOKEN, AGENT_TOKEN_PLACEHOLDER);
  const config = loadAgentConfig({ ...variables, NIXFLEET_TOKEN: 'shared-token', NIXFLEET_REPO_DIR: REPO_ROOT, NIXFLEET_STATE_DIR: dir });
  assert.equal(config.url, 'ws://127.0.0.1:8000/ws');
});

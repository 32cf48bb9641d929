// Usage mistakes and unusable settings, answered before any dashboard is asked: one line on stderr
// that names the mistake (and points at --help), exit 2. Run in-process, as main.ts runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nixfleet } from '../../src/cli/cli.js';
import type { CliIo } from '../../src/cli/args.js';

/** Nothing listens on port 9 (discard); a request there would fail with exit 4, not 2. */
const SETTINGS = { NIXFLEET_URL: 'http://127.0.0.1:9', NIXFLEET_API_TOKEN: 'nfx_unused' };

async function run(args: string[], env: Record<string, string> = SETTINGS): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { env, out: (text) => (stdout += `${text}\n`), err: (text) => (stderr += `${text}\n`) };
  const code = await nixfleet(args, io);
  return { code, stdout, stderr };
}

async function assertUsage(args: string[], expected: RegExp, env?: Record<string, string>): Promise<void> {
  const answer = await run(args, env);
  assert.equal(answer.code, 2, `${args.join(' ')}: ${answer.stdout}${answer.stderr}`);
  assert.equal(answer.stdout, '', args.join(' '));
  assert.equal(answer.stderr.trimEnd().split('\n').length, 1, answer.stderr);
  assert.match(answer.stderr.trimEnd(), expected, args.join(' '));
}

test('a missing or unusable setting names the setting', async () => {
  await assertUsage(['hosts'], /^nixfleet: NIXFLEET_URL is not set: /, { NIXFLEET_API_TOKEN: 'nfx_x' });
  await assertUsage(['status'], /^nixfleet: NIXFLEET_API_TOKEN is not set: .*--token-file/, { NIXFLEET_URL: SETTINGS.NIXFLEET_URL });
  await assertUsage(['hosts'], /^nixfleet: NIXFLEET_URL is not a URL: "fleet\.example\.org"/, { ...SETTINGS, NIXFLEET_URL: 'fleet.example.org' });
  await assertUsage(['hosts'], /^nixfleet: NIXFLEET_URL must start with http:\/\/, https:\/\/, ws:\/\/ or wss:\/\//, { ...SETTINGS, NIXFLEET_URL: 'ftp://fleet.example.org' });
  await assertUsage(['hosts', '--url', 'nowhere'], /^nixfleet: --url is not a URL/);
  await assertUsage(['hosts'], /^nixfleet: NIXFLEET_API_TOKEN is not an API token \(those start with nfx_\); an agent token does not work here$/, { ...SETTINGS, NIXFLEET_API_TOKEN: 'test-agent-token-0123456789' });
  await assertUsage(['hosts', '--token-file', '/nonexistent/token'], /^nixfleet: --token-file: cannot read \/nonexistent\/token: ENOENT$/);
});

test('a subcommand that does not exist, or none', async () => {
  await assertUsage([], /^nixfleet: missing subcommand: hosts, run, output, cancel, status or rollout \(try nixfleet --help\)$/);
  await assertUsage(['deploy'], /^nixfleet: unknown subcommand "deploy"/);
  await assertUsage(['cancel'], /^nixfleet: cancel: name the commands to withdraw/);
  await assertUsage(['--help', 'run'], /takes no further arguments/);
  await assertUsage(['rollout'], /^nixfleet: rollout: missing subcommand/);
  await assertUsage(['rollout', 'undo', 'x'], /^nixfleet: rollout: unknown subcommand "undo"/);
});

test('an option the subcommand does not know, or a value it cannot take', async () => {
  await assertUsage(['hosts', '--bogus'], /^nixfleet: hosts: Unknown option '--bogus' \(try nixfleet hosts --help\)$/);
  await assertUsage(['hosts', '--tag'], /^nixfleet: hosts: Option '--tag <value>' argument missing/);
  await assertUsage(['output', 'x', '--follow=yes'], /^nixfleet: output: /);
  await assertUsage(['rollout', 'start', '--tag', 'web', '--preset', 'deploy', '--batch-size', '0'], /--batch-size must be a whole number of at least 1, got "0"/);
  await assertUsage(['rollout', 'start', '--tag', 'web', '--preset', 'deploy', '--max-failures', 'two'], /--max-failures must be a whole number of at least 0, got "two"/);
  await assertUsage(['rollout', 'start', '--tag', 'web', '--preset', 'deploy', '--offline', 'later'], /--offline is skip or wait, got "later"/);
  await assertUsage(['rollout', 'list', '--limit', '-1'], /^nixfleet: rollout list: /);
});

test('run: a command name and exactly one way of naming the hosts', async () => {
  await assertUsage(['run', '--all'], /^nixfleet: run: missing <command> \(try nixfleet run --help\)$/);
  await assertUsage(['run', 'deploy', '--all'], /^nixfleet: run: "deploy" is not a command; one of pull, switch, pull-switch, /);
  await assertUsage(['run', 'switch'], /^nixfleet: run: name the hosts with --host \(repeatable\), --tag or --all: exactly one of them/);
  await assertUsage(['run', 'switch', '--host', 'a', '--all'], /exactly one of them/);
  await assertUsage(['run', 'switch', '--tag', 'web', '--all'], /exactly one of them/);
  await assertUsage(['run', 'switch', 'web-01'], /^nixfleet: run: unexpected argument "web-01"/);
});

test('rollout start: a target and either a preset or steps', async () => {
  await assertUsage(['rollout', 'start', '--preset', 'deploy'], /name the target with --host, --tag or --behind/);
  await assertUsage(['rollout', 'start', '--tag', 'web'], /give either --preset or --steps/);
  await assertUsage(['rollout', 'start', '--tag', 'web', '--preset', 'deploy', '--steps', 'pull'], /give either --preset or --steps/);
  await assertUsage(['rollout', 'show'], /^nixfleet: rollout show: missing <rollout-id>/);
  await assertUsage(['rollout', 'pause', 'a', 'b'], /^nixfleet: rollout pause: unexpected argument "b"/);
  await assertUsage(['output'], /^nixfleet: output: missing <command-id>/);
  await assertUsage(['status', 'now'], /^nixfleet: status: unexpected argument "now"/);
});

test('-h, help and -V answer like --help and --version', async () => {
  const [short, word, version] = await Promise.all([run(['-h'], {}), run(['help'], {}), run(['-V'], {})]);
  assert.equal(short.code, 0);
  assert.match(short.stdout, /^nixfleet: .*\nUsage:/s);
  assert.equal(word.stdout, short.stdout);
  assert.match(version.stdout, /^nixfleet \d+\.\d+\.\d+/);
  const subcommand = await run(['rollout', 'resume', '-h'], {});
  assert.match(subcommand.stdout, /^nixfleet rollout resume: /);
});

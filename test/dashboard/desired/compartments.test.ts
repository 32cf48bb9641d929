// Every cell of the compartment table (docs/protocol.md, "Compartments"): one case per colour of each
// compartment, with the facts that give it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, isVersion, judgeHost, type HostFacts, type JudgeInput } from '../../../src/dashboard/desired/compartments.js';
import { sameCommit } from '../../../src/dashboard/desired/source.js';
import type { CompartmentName, CompartmentStatus, DesiredState } from '../../../src/protocol/model.js';

const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const LOCK = 'c'.repeat(64);
const T0 = Date.parse('2026-11-01T00:00:00Z');

const desired: DesiredState = {
  source: 'git',
  commit: HEAD,
  branch: 'main',
  lock_hash: LOCK,
  committed_at: '2026-11-01T00:00:00.000Z',
  subject: 'web: open port 443',
  checked_at: '2026-11-01T00:00:05.000Z',
  error: null,
};

/** A v1 host that is current in every way. */
const current: HostFacts = {
  last_seen: T0,
  protocol_version: 1,
  agent_version: '0.2.0',
  repo_commit: HEAD,
  generation: HEAD.slice(0, 7),
  system_commit: HEAD,
  lock_hash: LOCK,
  update_status: null,
  last_activation: { command: 'switch', status: 'succeeded', message: 'switched', at: T0 },
  last_test: { command: 'test', status: 'succeeded', message: '3 tests passed', at: T0 + 1, system_commit: HEAD },
};

function input(host: Partial<HostFacts> = {}, rest: Partial<Omit<JudgeInput, 'host'>> = {}): JudgeInput {
  return { host: { ...current, ...host }, running: null, desired, targetAgentVersion: '0.2.0', commitsBehind: 0, ...rest };
}

function expectCell(name: CompartmentName, status: CompartmentStatus, given: JudgeInput, message?: RegExp): void {
  const verdict = judgeHost(given)[name];
  assert.equal(verdict.status, status, `${name}: ${verdict.message}`);
  if (message) assert.match(verdict.message, message);
}

test('a host that runs the desired commit, lock and agent, tested, is ok in every compartment', () => {
  const verdicts = judgeHost(input());
  for (const [name, verdict] of Object.entries(verdicts)) assert.equal(verdict.status, 'ok', `${name}: ${verdict.message}`);
});

test('agent: unknown before any agent registered, outdated for v0 and older versions, ok at the fleet version', () => {
  expectCell('agent', 'unknown', input({ last_seen: null, agent_version: '' }), /no agent has registered/);
  expectCell('agent', 'outdated', input({ protocol_version: 0, agent_version: 'go-1.4' }), /protocol v0 agent \(go-1\.4\)/);
  expectCell('agent', 'outdated', input({ agent_version: '0.1.9' }), /0\.1\.9; the fleet runs 0\.2\.0/);
  expectCell('agent', 'ok', input({ agent_version: '0.10.0' }, { targetAgentVersion: '0.9.0' }), /0\.10\.0/);
  expectCell('agent', 'ok', input({}, { targetAgentVersion: null }));
});

test('git: working while a pull runs, outdated with the count behind, error when the desired state failed, unknown without one', () => {
  expectCell('git', 'working', input({}, { running: 'pull-switch' }), /pull-switch is running/);
  expectCell('git', 'outdated', input({ repo_commit: OLD }, { commitsBehind: 3 }), /3 commits behind main at aaaaaaa: pull/);
  expectCell('git', 'outdated', input({ repo_commit: OLD }, { commitsBehind: 1 }), /1 commit behind/);
  expectCell('git', 'outdated', input({ repo_commit: OLD }, { commitsBehind: null }), /not known to be behind .* \(ahead, diverged or unknown\)/);
  expectCell('git', 'outdated', input({ repo_commit: OLD }, { commitsBehind: undefined }), /at bbbbbbb, main at aaaaaaa/);
  expectCell('git', 'error', input({}, { desired: { ...desired, error: 'fatal: repository not found' } }), /unavailable: fatal: repository not found/);
  expectCell('git', 'unknown', input({}, { desired: { ...desired, source: 'none', commit: '' } }), /NIXFLEET_REPO_URL/);
  expectCell('git', 'unknown', input({}, { desired: { ...desired, commit: '' } }), /not been read yet/);
  expectCell('git', 'unknown', input({ repo_commit: '', generation: '' }), /not reported a commit/);
  // A generation that is no commit (a NixOS generation number, a label) says nothing about git.
  expectCell('git', 'unknown', input({ repo_commit: '', generation: '42' }), /not reported a commit/);
  // A v0 agent's short generation is the same commit.
  expectCell('git', 'ok', input({ repo_commit: '', generation: HEAD.slice(0, 7) }));
});

test('lock: ok when the hashes match, outdated when not, working during update, unknown without one, error without the desired state', () => {
  expectCell('lock', 'ok', input(), /matches main/);
  expectCell('lock', 'outdated', input({ lock_hash: 'd'.repeat(64) }), /differs from main/);
  expectCell('lock', 'working', input({}, { running: 'update' }));
  expectCell('lock', 'unknown', input({ lock_hash: '' }), /not reported a flake\.lock/);
  expectCell('lock', 'unknown', input({}, { desired: { ...desired, lock_hash: '' } }), /main has no flake\.lock/);
  expectCell('lock', 'error', input({}, { desired: { ...desired, error: 'timeout' } }));
});

test('system: ok on the checked-out commit, outdated with a switch pending, error after a failed switch, working while one runs', () => {
  expectCell('system', 'ok', input(), /running aaaaaaa, the checked-out commit/);
  expectCell('system', 'outdated', input({ system_commit: OLD }), /switch pending: running bbbbbbb, checked out aaaaaaa/);
  expectCell('system', 'working', input({}, { running: 'switch' }), /switch is running/);
  expectCell('system', 'working', input({}, { running: 'rollback' }));
  expectCell(
    'system',
    'error',
    input({ last_activation: { command: 'switch', status: 'failed', message: 'nixos-rebuild exited with code 1', at: T0 } }),
    /switch failed: nixos-rebuild exited with code 1/,
  );
  expectCell('system', 'error', input({ last_activation: { command: 'pull-switch', status: 'timed_out', message: '', at: T0 } }), /timed out/);
  expectCell('system', 'unknown', input({ system_commit: '' }), /no switch recorded/);
  // v0 agents: the agent's own check, or unknown.
  expectCell('system', 'outdated', input({ protocol_version: 0, update_status: { system: { status: 'outdated', message: 'differs', checked_at: null } } }), /the agent says: differs/);
  expectCell('system', 'unknown', input({ protocol_version: 0, update_status: null }), /does not report/);
});

test('tests: ok when passed against the running system, error naming failures, outdated after a switch, unknown when never run or stopped', () => {
  expectCell('tests', 'ok', input(), /3 tests passed/);
  expectCell(
    'tests',
    'error',
    input({ last_test: { command: 'test', status: 'failed', message: '1 of 3 tests failed: ssh.sh', at: T0 + 1, system_commit: HEAD } }),
    /failed: 1 of 3 tests failed: ssh\.sh/,
  );
  expectCell('tests', 'outdated', input({ last_test: { ...current.last_test!, system_commit: OLD } }), /system changed since the last run/);
  expectCell(
    'tests',
    'outdated',
    input({ last_activation: { command: 'switch', status: 'succeeded', message: '', at: T0 + 5 }, last_test: { ...current.last_test!, system_commit: '' } }),
  );
  expectCell('tests', 'unknown', input({ last_test: null }), /never run/);
  expectCell('tests', 'unknown', input({ last_test: { ...current.last_test!, status: 'stopped', message: 'stopped by the admin' } }), /last run was stopped/);
  expectCell('tests', 'working', input({}, { running: 'test' }));
  // Without a run the dashboard saw, the agent's own (persisted) result counts.
  expectCell('tests', 'error', input({ last_test: null, update_status: { tests: { status: 'error', message: '1 of 2 failed', checked_at: null } } }));
});

test('commits compare by prefix of at least 7 characters; versions compare as semantic versions', () => {
  assert.equal(sameCommit(HEAD, HEAD.slice(0, 7)), true);
  assert.equal(sameCommit(HEAD, HEAD.slice(0, 6)), false);
  assert.equal(sameCommit(HEAD, OLD), false);
  assert.equal(compareVersions('0.10.0', '0.9.9'), 1);
  assert.equal(compareVersions('1.0', '1.0.0'), 0);
  assert.equal(compareVersions('v1.2.3', '1.2.4'), -1);
  // A pre-release before its release; build metadata does not count.
  assert.equal(compareVersions('0.2.0-rc.1', '0.2.0'), -1);
  assert.equal(compareVersions('0.2.0', '0.2.0-rc.1'), 1);
  assert.equal(compareVersions('0.2.0-rc.2', '0.2.0-rc.10'), -1);
  assert.equal(compareVersions('0.2.0-alpha', '0.2.0-beta'), -1);
  assert.equal(compareVersions('1.0.0+build.5', '1.0.0'), 0);
  assert.deepEqual(['0.2.0', 'v1', '1.0.0-rc.1+build', 'unknown', '', 'latest'].map(isVersion), [true, true, true, false, false, false]);
});

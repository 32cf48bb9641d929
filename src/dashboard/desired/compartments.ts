// How each compartment of a host gets its colour: plain rules over what the dashboard knows of the
// host, its commands and the desired state. docs/protocol.md ("Compartments") has the table with an
// example per colour; test/dashboard/desired/compartments.test.ts covers every cell of it.
import type { CompartmentName, CompartmentStatus, DesiredState, UpdateStatus } from '../../protocol/model.js';
import { normalizeCommit, sameCommit } from './source.js';

/** A compartment before it is dated: the status and why. */
export interface Verdict {
  status: CompartmentStatus;
  message: string;
}

/** How the last command of a kind ended, as the host record keeps it. */
export interface CommandOutcomeFact {
  command: string;
  /** A final command status: succeeded, failed, stopped, timed_out, lost, … */
  status: string;
  message: string;
  /** Epoch ms. */
  at: number;
}

export interface TestOutcomeFact extends CommandOutcomeFact {
  /** The system_commit the host reported when the tests ran; empty when not known. */
  system_commit: string;
}

export interface HostFacts {
  last_seen: number | null;
  protocol_version: number;
  agent_version: string;
  /** Full commit of the checked-out repository (v1), or '' . */
  repo_commit: string;
  /** What v0 agents report instead: usually a short commit. */
  generation: string;
  system_commit: string;
  lock_hash: string;
  /** The agent's own freshness checks: the fallback for what the dashboard cannot judge itself. */
  update_status: UpdateStatus | null;
  last_activation: CommandOutcomeFact | null;
  last_test: TestOutcomeFact | null;
}

export interface JudgeInput {
  host: HostFacts;
  /** The name of the command running on the host now, or null. */
  running: string | null;
  desired: DesiredState;
  /** The agent version hosts should run: configured, or the newest the fleet runs; null when none is known. */
  targetAgentVersion: string | null;
  /** How many commits the host's commit is behind the desired one; null unknown, undefined being found out. */
  commitsBehind: number | null | undefined;
}

/** Commands that move the checked-out commit, the lock, or the running system. */
export const PULLING_COMMANDS: ReadonlySet<string> = new Set(['pull', 'pull-switch', 'force-update']);
export const LOCK_COMMANDS: ReadonlySet<string> = new Set(['update']);
export const ACTIVATING_COMMANDS: ReadonlySet<string> = new Set(['switch', 'pull-switch', 'force-update', 'rollback']);
export const TEST_COMMANDS: ReadonlySet<string> = new Set(['test']);

/** A commit shown to a person. */
export const SHORT_COMMIT_LENGTH = 7;

export const short = (commit: string): string => commit.slice(0, SHORT_COMMIT_LENGTH);

/** A version to compare (`0.2.0`, `v1.2`, `0.3.0-rc.1`); an agent that cannot tell its own says `unknown`. */
export const isVersion = (text: string): boolean => /^v?\d+(\.\d+)*([-+].*)?$/.test(text);

/**
 * Compares versions as semantic versions do: dotted parts numerically (`0.10.0` > `0.9.2`), a part
 * that is not a number as text; a pre-release comes before its release (`0.2.0-rc.1` < `0.2.0`) and
 * build metadata (`+…`) does not count.
 */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const [core = '', ...pre] = v.replace(/^v/, '').replace(/\+.*$/, '').split('-');
    return { core: core.split('.'), pre: pre.join('-') };
  };
  const left = split(a);
  const right = split(b);
  const order = compareParts(left.core, right.core, '0');
  if (order !== 0) return order;
  if (left.pre === right.pre) return 0;
  // A release is newer than any of its pre-releases.
  if (left.pre === '') return 1;
  if (right.pre === '') return -1;
  return compareParts(left.pre.split('.'), right.pre.split('.'), '');
}

function compareParts(left: readonly string[], right: readonly string[], missing: string): number {
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i] ?? missing;
    const y = right[i] ?? missing;
    const nx = x === '' ? Number.NaN : Number(x);
    const ny = y === '' ? Number.NaN : Number(y);
    const order = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (order !== 0) return Math.sign(order);
  }
  return 0;
}

/** Status words agents report in update_status (free-form in the field), by what they mean. */
const REPORTED_STATUS: Record<string, CompartmentStatus> = {
  ok: 'ok',
  current: 'ok',
  up_to_date: 'ok',
  'up-to-date': 'ok',
  passed: 'ok',
  success: 'ok',
  outdated: 'outdated',
  behind: 'outdated',
  pending: 'outdated',
  stale: 'outdated',
  error: 'error',
  failed: 'error',
  failure: 'error',
  running: 'working',
};

/** The agent's own check, when it made one; null when it did not. */
function reported(host: HostFacts, check: 'git' | 'lock' | 'system' | 'tests'): Verdict | null {
  const entry = host.update_status?.[check];
  if (!entry) return null;
  const status = REPORTED_STATUS[entry.status.toLowerCase()] ?? 'unknown';
  return { status, message: entry.message ? `the agent says: ${entry.message}` : `the agent says: ${entry.status}` };
}

const FAILED_STATUSES: ReadonlySet<string> = new Set(['failed', 'timed_out', 'lost']);

function judgeAgent({ host, targetAgentVersion }: JudgeInput): Verdict {
  if (host.last_seen === null) return { status: 'unknown', message: 'no agent has registered yet' };
  const version = host.agent_version || 'unknown version';
  if (host.protocol_version === 0) {
    return { status: 'outdated', message: `protocol v0 agent (${version}): install nixfleet-agent for exact commits and reliable command reports` };
  }
  if (targetAgentVersion && host.agent_version && compareVersions(host.agent_version, targetAgentVersion) < 0) {
    return { status: 'outdated', message: `nixfleet-agent ${host.agent_version}; the fleet runs ${targetAgentVersion}` };
  }
  return { status: 'ok', message: `nixfleet-agent ${version}` };
}

/** Why the desired state cannot be compared against, or null when it can. */
function desiredProblem(desired: DesiredState): Verdict | null {
  if (desired.source === 'none') return { status: 'unknown', message: 'no fleet repository configured (NIXFLEET_REPO_URL)' };
  if (desired.error) return { status: 'error', message: `the desired state is unavailable: ${desired.error}` };
  if (!desired.commit) return { status: 'unknown', message: 'the fleet repository has not been read yet' };
  return null;
}

function judgeGit(input: JudgeInput): Verdict {
  const { host, desired, running, commitsBehind } = input;
  if (running !== null && PULLING_COMMANDS.has(running)) return { status: 'working', message: `${running} is running` };
  const problem = desiredProblem(desired);
  if (problem) return problem;
  const commit = normalizeCommit(host.repo_commit || host.generation);
  if (!commit) return { status: 'unknown', message: 'the agent has not reported a commit' };
  const head = `${desired.branch} at ${short(desired.commit)}`;
  if (sameCommit(commit, desired.commit)) return { status: 'ok', message: `at ${short(commit)}, the head of ${desired.branch}` };
  if (typeof commitsBehind === 'number') {
    return { status: 'outdated', message: `${commitsBehind} commit${commitsBehind === 1 ? '' : 's'} behind ${head}: pull` };
  }
  if (commitsBehind === null) return { status: 'outdated', message: `at ${short(commit)}, not known to be behind ${head} (ahead, diverged or unknown): pull` };
  return { status: 'outdated', message: `at ${short(commit)}, ${head}: pull` };
}

function judgeLock(input: JudgeInput): Verdict {
  const { host, desired, running } = input;
  if (running !== null && LOCK_COMMANDS.has(running)) return { status: 'working', message: `${running} is running` };
  const problem = desiredProblem(desired);
  if (problem) return problem;
  if (!desired.lock_hash) return { status: 'unknown', message: `${desired.branch} has no flake.lock` };
  if (!host.lock_hash) return { status: 'unknown', message: 'the agent has not reported a flake.lock' };
  if (host.lock_hash === desired.lock_hash) return { status: 'ok', message: `flake.lock matches ${desired.branch}` };
  return { status: 'outdated', message: `flake.lock differs from ${desired.branch} at ${short(desired.commit)}: pull` };
}

function judgeSystem(input: JudgeInput): Verdict {
  const { host, running } = input;
  if (running !== null && ACTIVATING_COMMANDS.has(running)) return { status: 'working', message: `${running} is running` };
  const last = host.last_activation;
  if (last && FAILED_STATUSES.has(last.status)) {
    return { status: 'error', message: `${last.command} ${last.status.replace('_', ' ')}${last.message ? `: ${last.message}` : ''}` };
  }
  if (host.protocol_version === 0) return reported(host, 'system') ?? { status: 'unknown', message: 'the agent does not report its running system' };
  if (!host.system_commit) {
    return { status: 'unknown', message: 'no switch recorded by nixfleet-agent yet: switch once to record the running commit' };
  }
  if (!host.repo_commit) return { status: 'unknown', message: 'the agent has not reported its checked-out commit' };
  if (sameCommit(host.system_commit, host.repo_commit)) return { status: 'ok', message: `running ${short(host.system_commit)}, the checked-out commit` };
  return { status: 'outdated', message: `switch pending: running ${short(host.system_commit)}, checked out ${short(host.repo_commit)}` };
}

function judgeTests(input: JudgeInput): Verdict {
  const { host, running } = input;
  if (running !== null && TEST_COMMANDS.has(running)) return { status: 'working', message: 'tests are running' };
  const last = host.last_test;
  if (!last) return reported(host, 'tests') ?? { status: 'unknown', message: 'never run' };
  if (last.status === 'stopped' || last.status === 'cancelled') return { status: 'unknown', message: `the last run was stopped: ${last.message || 'no result'}` };
  const activatedSince = host.last_activation !== null && host.last_activation.status === 'succeeded' && host.last_activation.at > last.at;
  const systemMoved = last.system_commit !== '' && host.system_commit !== '' && !sameCommit(last.system_commit, host.system_commit);
  if (activatedSince || systemMoved) {
    return { status: 'outdated', message: `the system changed since the last run (${last.status}${last.message ? `: ${last.message}` : ''}): test` };
  }
  if (last.status === 'succeeded') return { status: 'ok', message: last.message || 'passed' };
  return { status: 'error', message: `${last.status.replace('_', ' ')}${last.message ? `: ${last.message}` : ''}` };
}

const JUDGES: Readonly<Record<CompartmentName, (input: JudgeInput) => Verdict>> = {
  agent: judgeAgent,
  git: judgeGit,
  lock: judgeLock,
  system: judgeSystem,
  tests: judgeTests,
};

/** Every compartment of a host, undated. */
export function judgeHost(input: JudgeInput): Record<CompartmentName, Verdict> {
  return {
    agent: JUDGES.agent(input),
    git: JUDGES.git(input),
    lock: JUDGES.lock(input),
    system: JUDGES.system(input),
    tests: JUDGES.tests(input),
  };
}

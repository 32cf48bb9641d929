// The freshness checks: is the repository behind its remote (git), how old is the locked nixpkgs
// (lock), is the running system the configured one (system). Each sets its entry of the heartbeat's
// update_status and says what it found. They run as the `refresh-*` commands, whose output the
// dashboard shows, and in the background (refresher.ts), whose output nobody sees: both hand them a
// CheckContext.
import fs from 'node:fs';
import type { AgentConfig } from '../config.js';
import type { StepResult } from '../executor/process-group.js';
import type { RepoFacts } from '../host/repo-facts.js';
import type { CheckName, UpdateStatusBook } from '../host/update-status.js';
import { NIX_FLAKE_FLAGS } from '../commands/update.js';
import { describeEnd, failed, ok, succeeded, type CommandOutcome, type StepSpec } from '../commands/context.js';

/** A locked nixpkgs older than this is reported as outdated. */
export const LOCK_OUTDATED_AFTER_DAYS = 30;
const MS_PER_DAY = 86_400_000;
const CURRENT_SYSTEM_LINK = '/run/current-system';

export type FreshCheck = Exclude<CheckName, 'tests'>;
/** The order a round runs them in: the fetch first, as it is what goes stale fastest. */
export const FRESH_CHECKS: readonly FreshCheck[] = ['git', 'lock', 'system'];

/** What a check needs: a command's context is one. */
export interface CheckContext {
  readonly config: AgentConfig;
  readonly repo: RepoFacts;
  readonly updates: Pick<UpdateStatusBook, 'set'>;
  /** The last stderr line of the last step. */
  readonly lastErrorLine: string;
  run(step: StepSpec): Promise<StepResult>;
}

export type Check = (ctx: CheckContext) => Promise<CommandOutcome>;

async function checkGit(ctx: CheckContext): Promise<CommandOutcome> {
  const { repoDir, branch } = ctx.config;
  if (!ctx.repo.generation()) {
    ctx.updates.set('git', 'outdated', 'the repository is not cloned yet: run pull');
    return ok('the repository is not cloned yet');
  }
  const fetched = await ctx.run({ argv: ['git', '-C', repoDir, 'fetch', '--prune', 'origin', branch] });
  if (!succeeded(fetched)) {
    const message = describeEnd('git fetch', fetched, ctx.lastErrorLine);
    ctx.updates.set('git', 'error', message);
    return failed(message, fetched.exitCode);
  }
  const counted: string[] = [];
  const counting = await ctx.run({ argv: ['git', '-C', repoDir, 'rev-list', '--count', `HEAD..origin/${branch}`], collect: counted });
  const behind = Number(counted[0]);
  if (!succeeded(counting) || !Number.isInteger(behind)) {
    const message = describeEnd('git rev-list', counting, ctx.lastErrorLine);
    ctx.updates.set('git', 'error', message);
    return failed(message, counting.exitCode);
  }
  const message = behind === 0 ? `up to date with origin/${branch}` : `${behind} commit${behind === 1 ? '' : 's'} behind origin/${branch}`;
  ctx.updates.set('git', behind === 0 ? 'ok' : 'outdated', message);
  return ok(message);
}

async function checkLock(ctx: CheckContext): Promise<CommandOutcome> {
  const lockedAt = ctx.repo.nixpkgsLockedAt();
  if (!lockedAt) {
    ctx.updates.set('lock', 'unknown', 'no nixpkgs in flake.lock');
    return ok('no nixpkgs in flake.lock');
  }
  const days = Math.floor((Date.now() - lockedAt.getTime()) / MS_PER_DAY);
  const message = `nixpkgs locked ${lockedAt.toISOString().slice(0, 10)} (${days} days ago)`;
  ctx.updates.set('lock', days > LOCK_OUTDATED_AFTER_DAYS ? 'outdated' : 'ok', message);
  return ok(message);
}

async function checkSystem(ctx: CheckContext): Promise<CommandOutcome> {
  if (ctx.config.hostType !== 'nixos') {
    ctx.updates.set('system', 'unknown', 'not checked on macOS');
    return ok('the system is not checked on macOS');
  }
  if (!fs.existsSync(ctx.config.repoDir)) {
    // Isolated mode before the first pull: there is no configuration to evaluate yet.
    ctx.updates.set('system', 'unknown', 'the repository is not cloned yet: run pull');
    return ok('the repository is not cloned yet');
  }
  const attribute = `${ctx.config.repoDir}#nixosConfigurations.${ctx.config.hostname}.config.system.build.toplevel.outPath`;
  const printed: string[] = [];
  const result = await ctx.run({ argv: ['nix', ...NIX_FLAKE_FLAGS, 'eval', '--raw', attribute], collect: printed });
  if (!succeeded(result)) {
    const message = describeEnd('nix eval', result, ctx.lastErrorLine);
    ctx.updates.set('system', 'error', message);
    return failed(message, result.exitCode);
  }
  let running = '';
  try {
    running = fs.realpathSync(CURRENT_SYSTEM_LINK);
  } catch {
    // Not a NixOS system after all: nothing runs.
  }
  const wanted = printed.join('').trim();
  const current = wanted !== '' && wanted === running;
  const message = current ? 'the running system is the configured one' : 'the configuration differs from the running system: switch to apply it';
  ctx.updates.set('system', current ? 'ok' : 'outdated', message);
  return ok(message);
}

export const CHECKS: Readonly<Record<FreshCheck, Check>> = { git: checkGit, lock: checkLock, system: checkSystem };

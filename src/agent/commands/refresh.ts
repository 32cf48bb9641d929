// The freshness checks behind `refresh-git`, `refresh-lock`, `refresh-system`, `refresh-all`, and
// `check-version`. Each sets its entry of the heartbeat's update_status and says what it found.
import fs from 'node:fs';
import { AGENT_VERSION } from '../version.js';
import { NIX_FLAKE_FLAGS } from './update.js';
import { describeEnd, failed, ok, succeeded, type CommandContext, type CommandDefinition, type CommandOutcome } from './context.js';

/** A locked nixpkgs older than this is reported as outdated. */
export const LOCK_OUTDATED_AFTER_DAYS = 30;
const MS_PER_DAY = 86_400_000;
const CURRENT_SYSTEM_LINK = '/run/current-system';

async function checkGit(ctx: CommandContext): Promise<CommandOutcome> {
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

function checkLock(ctx: CommandContext): CommandOutcome {
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

async function checkSystem(ctx: CommandContext): Promise<CommandOutcome> {
  if (ctx.config.hostType !== 'nixos') {
    ctx.updates.set('system', 'unknown', 'not checked on macOS');
    return ok('the system is not checked on macOS');
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

export const refreshGit: CommandDefinition = { run: checkGit };
export const refreshLock: CommandDefinition = { run: async (ctx) => checkLock(ctx) };
export const refreshSystem: CommandDefinition = { run: checkSystem };

export const refreshAll: CommandDefinition = {
  async run(ctx) {
    const outcomes = [await checkGit(ctx), checkLock(ctx), await checkSystem(ctx)];
    const failure = outcomes.find((o) => o.status !== 'ok');
    return failure ?? ok(outcomes.map((o) => o.message).join('; '));
  },
};

export const checkVersion: CommandDefinition = {
  async run(ctx) {
    const where = ctx.system.storePath ? ` at ${ctx.system.storePath}` : '';
    return ok(`nixfleet-agent ${AGENT_VERSION}${where}`);
  },
};

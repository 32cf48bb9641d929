// `update`: `nix flake update` in the repository, which rewrites flake.lock to the newest inputs.
import { outcomeOf, type CommandDefinition } from './context.js';

/** Flakes may not be enabled in the host's nix.conf; the agent does not depend on it. */
export const NIX_FLAKE_FLAGS = ['--extra-experimental-features', 'nix-command flakes'] as const;

export const update: CommandDefinition = {
  async run(ctx) {
    const before = ctx.repo.lockHash();
    ctx.progress({ lock: { current: 0, total: 1, status: 'running' } });
    const result = await ctx.run({ argv: ['nix', ...NIX_FLAKE_FLAGS, 'flake', 'update'] });
    const changed = ctx.repo.lockHash() !== before;
    const outcome = outcomeOf('nix flake update', result, ctx.lastErrorLine, changed ? 'flake.lock updated' : 'flake.lock was already up to date');
    ctx.progress({ lock: { current: 1, total: 1, status: outcome.status } });
    ctx.updates.set('lock', outcome.status === 'ok' ? 'ok' : 'error', outcome.message);
    return outcome;
  },
  rechecks: ['git', 'lock'],
};

// Activating a configuration: `switch`, `pull-switch`, `rollback`, `force-update`.
//
// NixOS: `nixos-rebuild switch --flake <repo>#<hostname>` as root. macOS: `home-manager switch`.
// Activation may restart the agent's own service, so the program runs detached: it outlives this
// agent process, and the next one follows its log and reports how it ended (resume).
import type { StepResult } from '../executor/process-group.js';
import { pullRepository } from './git.js';
import { failed, outcomeOf, type CommandContext, type CommandDefinition, type CommandOutcome, type StepSpec } from './context.js';

function switchStep(ctx: CommandContext): StepSpec {
  const target = `${ctx.config.repoDir}#${ctx.config.hostname}`;
  return ctx.config.hostType === 'nixos'
    ? { argv: ['nixos-rebuild', 'switch', '--flake', target], privileged: true, detached: true }
    : { argv: ['home-manager', 'switch', '--flake', target], detached: true };
}

function programOf(ctx: CommandContext): string {
  return ctx.config.hostType === 'nixos' ? 'nixos-rebuild' : 'home-manager';
}

/** How an activation ended, whichever agent process saw it end. */
function activationOutcome(ctx: CommandContext, result: StepResult, what: string): CommandOutcome {
  const outcome = outcomeOf(programOf(ctx), result, ctx.lastErrorLine, `${what} (generation ${ctx.repo.generation() || 'unknown'})`);
  ctx.progress({ system: { current: 1, total: 1, status: outcome.status } });
  ctx.updates.set('system', outcome.status === 'ok' ? 'ok' : 'error', outcome.message);
  return outcome;
}

async function activate(ctx: CommandContext): Promise<CommandOutcome> {
  ctx.progress({ system: { current: 0, total: 1, status: 'running' } });
  return activationOutcome(ctx, await ctx.run(switchStep(ctx)), 'switched');
}

const resumeActivation = (ctx: CommandContext, result: StepResult) => activationOutcome(ctx, result, 'switched');

export const switchCommand: CommandDefinition = { run: activate, resume: resumeActivation, restartsAgent: true };

async function pullThenActivate(ctx: CommandContext): Promise<CommandOutcome> {
  const pulled = await pullRepository(ctx);
  return pulled.status === 'ok' ? activate(ctx) : pulled;
}

export const pullSwitch: CommandDefinition = { run: pullThenActivate, resume: resumeActivation, restartsAgent: true };

// The dashboard's "force update": bring the host to the head of its branch and activate it, whatever
// its freshness checks say. The agent restarts after it, so a new agent version takes over at once.
export const forceUpdate: CommandDefinition = { run: pullThenActivate, resume: resumeActivation, restartsAgent: true };

export const rollback: CommandDefinition = {
  async run(ctx) {
    if (ctx.config.hostType !== 'nixos') return failed('rollback is only available on NixOS hosts');
    ctx.progress({ system: { current: 0, total: 1, status: 'running' } });
    const step: StepSpec = { argv: ['nixos-rebuild', 'switch', '--rollback'], privileged: true, detached: true };
    return activationOutcome(ctx, await ctx.run(step), 'rolled back to the previous generation');
  },
  resume: (ctx, result) => activationOutcome(ctx, result, 'rolled back to the previous generation'),
  restartsAgent: true,
};

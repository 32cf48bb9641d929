// Activating a configuration: `switch`, `pull-switch`, `rollback`, `force-update`.
//
// NixOS: `nixos-rebuild switch --flake <repo>#<hostname>` as root. macOS: `home-manager switch`.
// Activation may restart the agent's own service, so the program runs detached: it outlives this
// agent process, and the next one follows its log and reports how it ended (resume). Whichever
// process sees an activation succeed records which commit the system now runs (system-record.ts).
import type { StepResult } from '../executor/process-group.js';
import { pullRepository } from './git.js';
import { failed, outcomeOf, type CommandContext, type CommandDefinition, type CommandOutcome, type StepSpec } from './context.js';

/** What an activation is, in words and in the system record once it succeeded. */
interface Activation {
  done: string;
  record(ctx: CommandContext): void;
}

const SWITCH: Activation = {
  done: 'switched',
  // A run record of an older agent has no commit: nothing moved HEAD while the command ran, so the
  // commit now is the one the switch started from.
  record: (ctx) => ctx.systemRecord.switched(ctx.detachedStepCommit ?? ctx.repo.commit()),
};

const ROLLBACK: Activation = {
  done: 'rolled back to the previous generation',
  record: (ctx) => ctx.systemRecord.rolledBack(),
};

function switchStep(ctx: CommandContext): StepSpec {
  const target = `${ctx.config.repoDir}#${ctx.config.hostname}`;
  return ctx.config.hostType === 'nixos'
    ? { argv: ['nixos-rebuild', 'switch', '--flake', target], privileged: true, detached: true }
    : { argv: ['home-manager', 'switch', '--flake', target], detached: true };
}

function programOf(ctx: CommandContext): string {
  return ctx.config.hostType === 'nixos' ? 'nixos-rebuild' : 'home-manager';
}

/** How an activation ended, whichever agent process saw it end. A failed one leaves the record as it was. */
function activationOutcome(ctx: CommandContext, result: StepResult, activation: Activation): CommandOutcome {
  const outcome = outcomeOf(programOf(ctx), result, ctx.lastErrorLine, `${activation.done} (generation ${ctx.repo.generation() || 'unknown'})`);
  ctx.progress({ system: { current: 1, total: 1, status: outcome.status } });
  ctx.updates.set('system', outcome.status === 'ok' ? 'ok' : 'error', outcome.message);
  if (outcome.status === 'ok') activation.record(ctx);
  return outcome;
}

async function activate(ctx: CommandContext): Promise<CommandOutcome> {
  ctx.progress({ system: { current: 0, total: 1, status: 'running' } });
  return activationOutcome(ctx, await ctx.run(switchStep(ctx)), SWITCH);
}

const resumeActivation = (ctx: CommandContext, result: StepResult) => activationOutcome(ctx, result, SWITCH);

export const switchCommand: CommandDefinition = { run: activate, resume: resumeActivation, restartsAgent: true, rechecks: ['system'] };

async function pullThenActivate(ctx: CommandContext): Promise<CommandOutcome> {
  const pulled = await pullRepository(ctx);
  return pulled.status === 'ok' ? activate(ctx) : pulled;
}

export const pullSwitch: CommandDefinition = {
  run: pullThenActivate,
  resume: resumeActivation,
  restartsAgent: true,
  rechecks: ['git', 'lock', 'system'],
};

// The dashboard's "force update": bring the host to the head of its branch and activate it, whatever
// its freshness checks say. The agent restarts after it, so a new agent version takes over at once.
export const forceUpdate: CommandDefinition = { ...pullSwitch };

export const rollback: CommandDefinition = {
  async run(ctx) {
    if (ctx.config.hostType !== 'nixos') return failed('rollback is only available on NixOS hosts');
    ctx.progress({ system: { current: 0, total: 1, status: 'running' } });
    const step: StepSpec = { argv: ['nixos-rebuild', 'switch', '--rollback'], privileged: true, detached: true };
    return activationOutcome(ctx, await ctx.run(step), ROLLBACK);
  },
  resume: (ctx, result) => activationOutcome(ctx, result, ROLLBACK),
  restartsAgent: true,
  rechecks: ['system'],
};

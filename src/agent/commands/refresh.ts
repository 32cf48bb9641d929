// `refresh-git`, `refresh-lock`, `refresh-system`, `refresh-all`: the freshness checks
// (freshness/checks.ts) run as a command, their programs' output shown and what they found as the
// status. `check-version` says which agent runs.
import { AGENT_VERSION } from '../version.js';
import { CHECKS, FRESH_CHECKS } from '../freshness/checks.js';
import { ok, type CommandDefinition, type CommandOutcome } from './context.js';

export const refreshGit: CommandDefinition = { run: CHECKS.git };
export const refreshLock: CommandDefinition = { run: CHECKS.lock };
export const refreshSystem: CommandDefinition = { run: CHECKS.system };

export const refreshAll: CommandDefinition = {
  async run(ctx) {
    const outcomes: CommandOutcome[] = [];
    for (const name of FRESH_CHECKS) outcomes.push(await CHECKS[name](ctx));
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

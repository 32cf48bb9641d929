// What a request to start a rollout asks for, checked and made concrete: the hosts (frozen now), the
// steps, the strategy. Every refusal names the field, for a 400 a script can act on.
import { isCommandName } from '../../protocol/constants.js';
import {
  ROLLOUT_PRESETS,
  ROLLOUT_PRESET_NAMES,
  ROLLOUT_STEP_COMMANDS,
  type CreateRolloutBody,
  type Rollout,
  type RolloutPreset,
  type RolloutStrategy,
} from '../../protocol/rollout.js';

/** What a rollout's target is chosen by, per host. */
export interface TargetCandidate {
  id: string;
  tags: readonly string[];
  agent_tags: readonly string[];
  /** The git compartment is outdated. */
  behind: boolean;
}

export interface RolloutPlan {
  hostIds: string[];
  canaries: string[];
  steps: string[];
  preset: RolloutPreset | null;
  strategy: RolloutStrategy;
  /** The target in words, for the record and the event log. */
  target: string;
}

export type PlanResult = { ok: true; plan: RolloutPlan } | { ok: false; field: string; message: string };

export const DEFAULT_BATCH_SIZE = 5;

const stepCommandSet: ReadonlySet<string> = new Set(ROLLOUT_STEP_COMMANDS);
const refuse = (field: string, message: string): PlanResult => ({ ok: false, field, message });

function stepsOf(body: CreateRolloutBody): { steps: string[]; preset: RolloutPreset | null } | PlanResult {
  if (body.steps && body.preset) return refuse('steps', 'give either steps or preset, not both');
  if (body.preset !== undefined) {
    if (!(ROLLOUT_PRESET_NAMES as string[]).includes(body.preset)) {
      return refuse('preset', `unknown preset "${body.preset}"; known: ${ROLLOUT_PRESET_NAMES.join(', ')}`);
    }
    const preset = body.preset as RolloutPreset;
    return { steps: [...ROLLOUT_PRESETS[preset]], preset };
  }
  if (!body.steps) return refuse('steps', 'give steps (a list of commands) or a preset');
  const bad = body.steps.find((step) => !isCommandName(step) || !stepCommandSet.has(step));
  if (bad !== undefined) return refuse('steps', `"${bad}" cannot be a step; steps are commands other than stop`);
  return { steps: [...body.steps], preset: null };
}

/** Every host that matches all the criteria given (hosts, tag, behind), in id order. */
function targetsOf(body: CreateRolloutBody, candidates: readonly TargetCandidate[]): { ids: string[]; target: string } | PlanResult {
  if (body.hosts === undefined && body.tag === undefined && body.behind !== true) {
    return refuse('hosts', 'give hosts, a tag, or behind: true');
  }
  const known = new Map(candidates.map((candidate) => [candidate.id, candidate]));
  const unknown = body.hosts?.find((id) => !known.has(id));
  if (unknown !== undefined) return refuse('hosts', `unknown host "${unknown}"`);
  const named = body.hosts ? new Set(body.hosts) : null;
  const ids = candidates
    .filter((c) => named === null || named.has(c.id))
    .filter((c) => body.tag === undefined || c.tags.includes(body.tag) || c.agent_tags.includes(body.tag))
    .filter((c) => body.behind !== true || c.behind)
    .map((c) => c.id)
    .sort();
  const words = [
    body.hosts ? `${body.hosts.length} host${body.hosts.length === 1 ? '' : 's'}` : null,
    body.tag !== undefined ? `tag ${body.tag}` : null,
    body.behind ? 'hosts behind' : null,
  ].filter(Boolean);
  if (ids.length === 0) return refuse(body.hosts ? 'hosts' : body.tag !== undefined ? 'tag' : 'behind', `no host matches ${words.join(' and ')}`);
  return { ids, target: words.join(', ') };
}

function canariesOf(body: CreateRolloutBody, ids: readonly string[]): string[] | PlanResult {
  const canary = body.canary ?? 0;
  if (typeof canary === 'number') {
    if (canary >= ids.length && canary > 0) return refuse('canary', `${canary} canaries leave no host for after them (${ids.length} targeted)`);
    return ids.slice(0, canary);
  }
  const targeted = new Set(ids);
  const stray = canary.find((id) => !targeted.has(id));
  if (stray !== undefined) return refuse('canary', `canary "${stray}" is not among the targeted hosts`);
  return [...new Set(canary)];
}

export function planRollout(body: CreateRolloutBody, candidates: readonly TargetCandidate[]): PlanResult {
  const steps = stepsOf(body);
  if ('ok' in steps) return steps;
  const targets = targetsOf(body, candidates);
  if ('ok' in targets) return targets;
  const canaries = canariesOf(body, targets.ids);
  if (!Array.isArray(canaries)) return canaries;
  // The canaries go first; the rest keep their order.
  const canarySet = new Set(canaries);
  const hostIds = [...canaries, ...targets.ids.filter((id) => !canarySet.has(id))];
  return {
    ok: true,
    plan: {
      hostIds,
      canaries,
      steps: steps.steps,
      preset: steps.preset,
      target: targets.target,
      strategy: {
        canary: canaries,
        batch_size: body.batch_size ?? DEFAULT_BATCH_SIZE,
        max_failures: body.max_failures ?? 0,
        rollback_on_failure: body.rollback_on_failure ?? false,
        offline: body.offline ?? 'skip',
      },
    },
  };
}

/** The record of a rollout about to start: every host and step pending. */
export function newRollout(plan: RolloutPlan, id: string, createdBy: string, now: number): Rollout {
  const canaries = new Set(plan.canaries);
  return {
    id,
    status: 'pending',
    steps: plan.steps,
    preset: plan.preset,
    target: plan.target,
    strategy: plan.strategy,
    hosts: plan.hostIds.map((hostId) => ({
      host_id: hostId,
      canary: canaries.has(hostId),
      state: 'pending',
      steps: plan.steps.map((command) => ({ command, state: 'pending', command_id: null, message: '' })),
      rollback: null,
    })),
    failures: 0,
    created_by: createdBy,
    created_at: new Date(now).toISOString(),
    started_at: null,
    finished_at: null,
    message: '',
    revision: 0,
  };
}

// The "Rollout…" dialog's choices, made into the request that starts a rollout, and said in words
// before it starts ("6 hosts: 1 canary, then batches of 5, halt on the first failure, skip offline
// hosts"). Pure functions; the dashboard decides for good (src/dashboard/rollouts/plan.ts), this is
// what the admin sees first.
import type { CommandName } from '../../protocol/constants.js';
import type { Host } from '../../protocol/model.js';
import type { CreateRolloutBody, OfflinePolicy, RolloutStrategy } from '../../protocol/rollout.js';
import { describeStrategy, ROLLOUT_PRESET_NAMES, ROLLOUT_PRESETS, ROLLOUT_STEP_COMMANDS, type RolloutPreset } from '../../protocol/rollout-rules.js';

export { describeStrategy, ROLLOUT_PRESETS };
import { hasTag } from './host-tags.js';

export const PRESET_LABELS: Readonly<Record<RolloutPreset, string>> = {
  deploy: 'Deploy',
  'update-agent': 'Update agent',
  refresh: 'Refresh',
};
export const PRESET_NAMES = ROLLOUT_PRESET_NAMES;
export const STEP_COMMANDS = ROLLOUT_STEP_COMMANDS;
/** The dashboard's limits on a request (CreateRolloutBody). */
export const MAX_STEPS = 16;
export const MAX_STRATEGY_NUMBER = 10_000;

/** The dashboard's defaults, which the dialog starts from. */
export const DEFAULT_BATCH_SIZE = 5;

/** Which hosts a rollout goes to: the selected ones, those with a tag, or every host behind. */
export type RolloutTarget = { kind: 'hosts'; hostIds: readonly string[] } | { kind: 'tag'; tag: string } | { kind: 'behind' };

export interface RolloutFields {
  target: RolloutTarget;
  /** A preset, or `custom` for the steps listed in `steps`. */
  preset: RolloutPreset | 'custom';
  steps: readonly CommandName[];
  canary: number;
  batchSize: number;
  maxFailures: number;
  rollbackOnFailure: boolean;
  offline: OfflinePolicy;
}

export function initialFields(target: RolloutTarget): RolloutFields {
  return {
    target,
    preset: 'deploy',
    steps: [...ROLLOUT_PRESETS.deploy],
    canary: 0,
    batchSize: DEFAULT_BATCH_SIZE,
    maxFailures: 0,
    rollbackOnFailure: false,
    offline: 'skip',
  };
}

export function stepsOf(fields: Pick<RolloutFields, 'preset' | 'steps'>): readonly CommandName[] {
  return fields.preset === 'custom' ? fields.steps : ROLLOUT_PRESETS[fields.preset];
}

/** A host is behind when its git compartment is outdated: the dashboard's `behind: true`. */
export function isBehind(host: Host): boolean {
  return host.compartments.git.status === 'outdated';
}

/**
 * The hosts the target names now, in id order (as the dashboard orders them). The dashboard
 * resolves the target again when the rollout starts, so this is what the admin sees first.
 */
export function targetHosts(target: RolloutTarget, hosts: Iterable<Host>): string[] {
  const all = [...hosts];
  const known = new Set(all.map((host) => host.id));
  const ids =
    target.kind === 'hosts'
      ? target.hostIds.filter((id) => known.has(id))
      : all.filter((host) => (target.kind === 'tag' ? hasTag(host, target.tag) : isBehind(host))).map((host) => host.id);
  return [...new Set(ids)].sort();
}

/** The target in words, for the dialog and its title. */
export function targetText(target: RolloutTarget): string {
  if (target.kind === 'tag') return `hosts tagged ${target.tag}`;
  if (target.kind === 'behind') return 'every host behind';
  return plural(target.hostIds.length, 'selected host');
}

/** The strategy the dashboard will make of the fields for these hosts (canaries: the first hosts by id). */
export function strategyOf(fields: RolloutFields, hostIds: readonly string[]): RolloutStrategy {
  return {
    canary: hostIds.slice(0, fields.canary),
    batch_size: fields.batchSize,
    max_failures: fields.maxFailures,
    rollback_on_failure: fields.rollbackOnFailure,
    offline: fields.offline,
  };
}

/** What will happen, in one line: "6 hosts: 1 canary, then batches of 5, halt on the first failure, skip offline hosts". */
export function planText(fields: RolloutFields, hostIds: readonly string[]): string {
  return `${plural(hostIds.length, 'host')}: ${describeStrategy(strategyOf(fields, hostIds))}`;
}

/** The steps in words: "pull, then switch, then test". */
export function stepsText(steps: readonly string[]): string {
  return steps.join(', then ');
}

/** A choice the dashboard would refuse, named by its field, found before any request. */
export interface FieldProblem {
  field: 'hosts' | 'steps' | 'canary' | 'batch_size' | 'max_failures';
  message: string;
}

const NO_HOST: Record<RolloutTarget['kind'], (target: RolloutTarget) => string> = {
  hosts: () => 'None of the selected hosts is in the fleet now.',
  tag: (target) => (target.kind === 'tag' && target.tag !== '' ? `No host has the tag ${target.tag}.` : 'Choose a tag.'),
  behind: () => 'No host is behind the desired commit now.',
};

export function fieldsProblem(fields: RolloutFields, hostIds: readonly string[]): FieldProblem | null {
  if (hostIds.length === 0) return { field: 'hosts', message: NO_HOST[fields.target.kind](fields.target) };
  const steps = stepsOf(fields);
  if (steps.length === 0) return { field: 'steps', message: 'Add at least one step.' };
  if (steps.length > MAX_STEPS) return { field: 'steps', message: `A rollout takes at most ${MAX_STEPS} steps.` };
  if (!wholeIn(fields.canary, 0)) return { field: 'canary', message: 'Canaries: a whole number, 0 or more.' };
  if (fields.canary > 0 && fields.canary >= hostIds.length) {
    return { field: 'canary', message: `${plural(fields.canary, 'canary', 'canaries')} leave no host for after them (${plural(hostIds.length, 'host')}).` };
  }
  if (!wholeIn(fields.batchSize, 1)) return { field: 'batch_size', message: 'Batch size: a whole number, 1 or more.' };
  if (!wholeIn(fields.maxFailures, 0)) return { field: 'max_failures', message: 'Max failures: a whole number, 0 or more.' };
  return null;
}

/** The body of POST /api/rollouts. Defaults are sent too: the request says all that was shown. */
export function createRolloutBody(fields: RolloutFields): CreateRolloutBody {
  const target: Pick<CreateRolloutBody, 'hosts' | 'tag' | 'behind'> =
    fields.target.kind === 'hosts' ? { hosts: [...fields.target.hostIds] } : fields.target.kind === 'tag' ? { tag: fields.target.tag } : { behind: true };
  const steps: Pick<CreateRolloutBody, 'steps' | 'preset'> = fields.preset === 'custom' ? { steps: [...fields.steps] } : { preset: fields.preset };
  return {
    ...target,
    ...steps,
    canary: fields.canary,
    batch_size: fields.batchSize,
    max_failures: fields.maxFailures,
    rollback_on_failure: fields.rollbackOnFailure,
    offline: fields.offline,
  };
}

function wholeIn(value: number, min: number): boolean {
  return Number.isInteger(value) && value >= min && value <= MAX_STRATEGY_NUMBER;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

// The rollout words both ends share, free of TypeBox so that the web bundle imports them too: the
// statuses, the presets, the tag pattern, when a host is done, and the strategy in words.
import { COMMAND_NAMES, type CommandName } from './constants.js';

export const ROLLOUT_STATUSES = ['pending', 'running', 'paused', 'succeeded', 'failed', 'halted', 'cancelled'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
/** A rollout in one of these never changes again. */
export const FINAL_ROLLOUT_STATUSES: ReadonlySet<RolloutStatus> = new Set(['succeeded', 'failed', 'halted', 'cancelled']);

export const STEP_STATES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'rolled_back', 'cancelled'] as const;
export type StepState = (typeof STEP_STATES)[number];

/** Named lists of steps. */
export const ROLLOUT_PRESETS = {
  deploy: ['pull', 'switch', 'test'],
  'update-agent': ['pull', 'switch', 'restart'],
  refresh: ['refresh-all'],
} as const satisfies Record<string, readonly CommandName[]>;
export type RolloutPreset = keyof typeof ROLLOUT_PRESETS;
export const ROLLOUT_PRESET_NAMES = Object.keys(ROLLOUT_PRESETS) as RolloutPreset[];

/** Commands a rollout step may be: every command except `stop`, which is a signal, not a step. */
export const ROLLOUT_STEP_COMMANDS: readonly CommandName[] = COMMAND_NAMES.filter((name) => name !== 'stop');

/** A host tag, set by the admin or reported by the agent. */
export const TAG_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';

const DONE_STATES: ReadonlySet<StepState> = new Set(['succeeded', 'failed', 'skipped', 'rolled_back', 'cancelled']);

/** A host is done when its steps ended and so did its rollback, if it got one. */
export function isHostDone(host: { state: StepState; rollback: { state: StepState } | null }): boolean {
  return DONE_STATES.has(host.state) && (host.rollback === null || DONE_STATES.has(host.rollback.state));
}

/** The strategy in words, as the start dialog shows it: "1 canary, then batches of 5, halt on the first failure, …". */
export function describeStrategy(strategy: {
  canary: readonly string[];
  batch_size: number;
  max_failures: number;
  rollback_on_failure: boolean;
  offline: 'skip' | 'wait';
}): string {
  const parts: string[] = [];
  const canaries = strategy.canary.length;
  if (canaries > 0) parts.push(`${canaries} canar${canaries === 1 ? 'y' : 'ies'}`);
  parts.push(`${canaries > 0 ? 'then ' : ''}batches of ${strategy.batch_size}`);
  parts.push(strategy.max_failures === 0 ? 'halt on the first failure' : `halt after ${strategy.max_failures + 1} failures`);
  if (strategy.rollback_on_failure) parts.push('roll back what fails');
  parts.push(strategy.offline === 'skip' ? 'skip offline hosts' : 'wait for offline hosts');
  return parts.join(', ');
}

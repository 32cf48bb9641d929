// How a rollout's and a step's states read on screen: a word, and a mark that says what the colour says.
import type { RolloutStatus, StepState } from '../../../protocol/rollout.js';

export const ROLLOUT_STATUS_LABELS: Record<RolloutStatus, string> = {
  pending: 'pending',
  running: 'running',
  paused: 'paused',
  succeeded: 'succeeded',
  failed: 'failed',
  halted: 'halted',
  cancelled: 'cancelled',
};

export const STEP_LABELS: Record<StepState, string> = {
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  rolled_back: 'rolled back',
  cancelled: 'cancelled',
};

export const STEP_MARKS: Record<StepState, string> = {
  pending: '·',
  running: '…',
  succeeded: '✓',
  failed: '✕',
  skipped: '–',
  rolled_back: '↺',
  cancelled: '⊘',
};

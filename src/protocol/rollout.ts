// Rollouts (docs/rollouts.md): a list of commands run over many hosts in stages, `&&` per host, that
// stops when too many hosts fail. The records browsers and the API see, and the body that starts one.
import { Type, type Static } from '@sinclair/typebox';
import { ROLLOUT_STATUSES, STEP_STATES, TAG_PATTERN } from './rollout-rules.js';
import { Nullable } from './model.js';

export * from './rollout-rules.js';

export const OfflinePolicy = Type.Union([Type.Literal('skip'), Type.Literal('wait')]);
export type OfflinePolicy = Static<typeof OfflinePolicy>;

export const RolloutStep = Type.Object({
  command: Type.String(),
  state: Type.Union(STEP_STATES.map((s) => Type.Literal(s))),
  /** The command that runs (or ran) this step; null before it started. */
  command_id: Nullable(Type.String()),
  message: Type.String(),
});
export type RolloutStep = Static<typeof RolloutStep>;

export const RolloutHost = Type.Object({
  host_id: Type.String(),
  canary: Type.Boolean(),
  /** The host as a whole: pending until its first step starts, then running, then how it ended. */
  state: Type.Union(STEP_STATES.map((s) => Type.Literal(s))),
  steps: Type.Array(RolloutStep),
  /** The automatic rollback after a failure, when asked for. */
  rollback: Nullable(RolloutStep),
});
export type RolloutHost = Static<typeof RolloutHost>;

export const RolloutStrategy = Type.Object({
  /** Hosts that go first, alone; all must succeed before any other starts. */
  canary: Type.Array(Type.String()),
  /** Hosts in flight at once after the canaries. */
  batch_size: Type.Integer({ minimum: 1 }),
  /** Failed hosts tolerated; one more halts the rollout. */
  max_failures: Type.Integer({ minimum: 0 }),
  rollback_on_failure: Type.Boolean(),
  /** A host offline at its turn: skipped, or its commands wait in the offline queue (until they expire). */
  offline: OfflinePolicy,
});
export type RolloutStrategy = Static<typeof RolloutStrategy>;

export const Rollout = Type.Object({
  id: Type.String(),
  status: Type.Union(ROLLOUT_STATUSES.map((s) => Type.Literal(s))),
  /** The steps, in order, and the preset they came from (null for an explicit list). */
  steps: Type.Array(Type.String()),
  preset: Nullable(Type.String()),
  /** What was asked for, in words ("tag web", "3 hosts", "every host behind"). */
  target: Type.String(),
  strategy: RolloutStrategy,
  hosts: Type.Array(RolloutHost),
  failures: Type.Integer({ minimum: 0 }),
  created_by: Type.String(),
  created_at: Type.String(),
  started_at: Nullable(Type.String()),
  finished_at: Nullable(Type.String()),
  /** Why it ended or halted; what it waits for while running. */
  message: Type.String(),
  /** Counts this rollout's changes: a browser keeps the record with the highest. */
  revision: Type.Integer({ minimum: 0 }),
});
export type Rollout = Static<typeof Rollout>;

const HostName = Type.String({ minLength: 1, maxLength: 253 });
export const Tag = Type.String({ pattern: TAG_PATTERN });

export const CreateRolloutBody = Type.Object(
  {
    hosts: Type.Optional(Type.Array(HostName, { minItems: 1, maxItems: 10_000 })),
    tag: Type.Optional(Tag),
    behind: Type.Optional(Type.Boolean()),
    steps: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 16 })),
    preset: Type.Optional(Type.String({ maxLength: 64 })),
    canary: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 10_000 }), Type.Array(HostName, { maxItems: 10_000 })])),
    batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    max_failures: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    rollback_on_failure: Type.Optional(Type.Boolean()),
    offline: Type.Optional(OfflinePolicy),
  },
  { additionalProperties: false },
);
export type CreateRolloutBody = Static<typeof CreateRolloutBody>;

export const RolloutReply = Type.Object({ rollout: Rollout });
export const RolloutsReply = Type.Object({ rollouts: Type.Array(Rollout) });
export const RolloutIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type RolloutIdParams = Static<typeof RolloutIdParams>;

export const HostTagsBody = Type.Object({ tags: Type.Array(Tag, { maxItems: 64 }) }, { additionalProperties: false });
export type HostTagsBody = Static<typeof HostTagsBody>;

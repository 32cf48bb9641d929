// The records the dashboard shows to browsers (docs/protocol.md). Times are ISO 8601 strings.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { COMMAND_STATUSES } from './constants.js';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Stream = Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]);
export type Stream = Static<typeof Stream>;

export const HostType = Type.Union([Type.Literal('nixos'), Type.Literal('macos')]);
export type HostType = Static<typeof HostType>;

export const Metrics = Type.Object({
  cpu: Type.Number(),
  ram: Type.Number(),
  swap: Type.Number(),
  load: Type.Number(),
});
export type Metrics = Static<typeof Metrics>;

export const CheckStatus = Type.Object({
  status: Type.String({ maxLength: 64 }),
  message: Type.String({ maxLength: 4096 }),
  checked_at: Nullable(Type.Union([Type.String({ maxLength: 64 }), Type.Number()])),
});
export type CheckStatus = Static<typeof CheckStatus>;

export const UpdateStatus = Type.Object({
  git: Type.Optional(Nullable(CheckStatus)),
  lock: Type.Optional(Nullable(CheckStatus)),
  system: Type.Optional(Nullable(CheckStatus)),
  tests: Type.Optional(Nullable(CheckStatus)),
});
export type UpdateStatus = Static<typeof UpdateStatus>;

/**
 * A host's five compartments (docs/protocol.md, "Compartments"): how far it is from the desired state,
 * judged by the dashboard from what the agent reports, the commands it ran and the fleet repository.
 */
export { COMPARTMENT_NAMES, type CompartmentName } from './constants.js';

export const COMPARTMENT_STATUSES = ['ok', 'outdated', 'error', 'working', 'unknown'] as const;
export const CompartmentStatus = Type.Union(COMPARTMENT_STATUSES.map((s) => Type.Literal(s)));
export type CompartmentStatus = (typeof COMPARTMENT_STATUSES)[number];

export const Compartment = Type.Object({
  status: CompartmentStatus,
  /** Why, in words a person can act on. */
  message: Type.String(),
  /** Since when the compartment has had this status (ISO time), null when not known. */
  since: Nullable(Type.String()),
});
export type Compartment = Static<typeof Compartment>;

export const Compartments = Type.Object({
  agent: Compartment,
  git: Compartment,
  lock: Compartment,
  system: Compartment,
  tests: Compartment,
});
export type Compartments = Static<typeof Compartments>;

/** What the fleet repository says every host should run: the head of its branch. */
export const DesiredState = Type.Object({
  /** Where it comes from: the fleet repository, the earlier dashboard's version URL, or nothing configured. */
  source: Type.Union([Type.Literal('git'), Type.Literal('version_url'), Type.Literal('none')]),
  /** Full commit hash of the branch head; empty until the first successful fetch. */
  commit: Type.String(),
  branch: Type.String(),
  /** SHA-256 (hex) of flake.lock at that commit; empty when it has none. */
  lock_hash: Type.String(),
  /** The commit's committer time. */
  committed_at: Nullable(Type.String()),
  /** The commit's subject line. */
  subject: Type.String(),
  /** When the source was last read successfully or not. */
  checked_at: Nullable(Type.String()),
  /** Why the last fetch failed (git's reason); null after a good one. */
  error: Nullable(Type.String()),
});
export type DesiredState = Static<typeof DesiredState>;

export const OutputLine = Type.Object({
  seq: Type.Integer({ minimum: 0 }),
  stream: Stream,
  line: Type.String(),
});
export type OutputLine = Static<typeof OutputLine>;

export const CommandStatusSchema = Type.Union(COMMAND_STATUSES.map((s) => Type.Literal(s)));

export const Command = Type.Object({
  id: Type.String(),
  host_id: Type.String(),
  command: Type.String(),
  status: CommandStatusSchema,
  exit_code: Nullable(Type.Integer()),
  message: Type.String(),
  created_at: Type.String(),
  started_at: Nullable(Type.String()),
  finished_at: Nullable(Type.String()),
  output_lines: Type.Integer({ minimum: 0 }),
  /** A queued command's expiry: when it ends `expired` unless its host took it. Null otherwise. */
  expires_at: Nullable(Type.String()),
});
export type Command = Static<typeof Command>;

export const Host = Type.Object({
  id: Type.String(),
  hostname: Type.String(),
  host_type: HostType,
  status: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
  connected: Type.Boolean(),
  last_seen: Nullable(Type.String()),
  agent_version: Type.String(),
  os_version: Type.String(),
  nixpkgs_version: Type.String(),
  generation: Type.String(),
  metrics: Nullable(Metrics),
  update_status: Nullable(UpdateStatus),
  theme_color: Type.String(),
  location: Type.String(),
  device_type: Type.String(),
  running_command: Nullable(Command),
  protocol_version: Type.Integer({ minimum: 0 }),
  /** Full commit checked out in the host's flake repository (v1 agents; empty when not reported). */
  repo_commit: Type.String(),
  /** Full commit the running system was switched from; empty when not known. */
  system_commit: Type.String(),
  /** SHA-256 (hex) of the host's flake.lock. */
  lock_hash: Type.String(),
  compartments: Compartments,
  /** Two agents keep replacing each other as this host: one of them has the wrong hostname or token. */
  agent_conflict: Type.Boolean(),
  /** Tags the admin set (PUT /api/hosts/:id/tags), and those the agent reports (NIXFLEET_TAGS). */
  tags: Type.Array(Type.String()),
  agent_tags: Type.Array(Type.String()),
  /** Its agent last registered with the shared agent token, not a token of the host's own. */
  shared_token: Type.Boolean(),
});
export type Host = Static<typeof Host>;

export const EventLevel = Type.Union([Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]);
export type EventLevel = Static<typeof EventLevel>;

export const FleetEvent = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  level: EventLevel,
  host_id: Type.Optional(Type.String()),
  message: Type.String(),
});
export type FleetEvent = Static<typeof FleetEvent>;

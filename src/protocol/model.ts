// The records the dashboard shows to browsers (PROTOCOL.md section 5). Times are ISO 8601 strings.
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

// Messages between an agent and the dashboard (docs/protocol.md).
//
// Agent payloads are read liberally where the existing Go agents may omit a field or send null,
// and strictly where a wrong value would be stored or shown: every string has a length bound.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { HostType, Metrics, Nullable, Stream, UpdateStatus } from './model.js';
import { COMMAND_NAMES } from './constants.js';

/** An optional field that old agents may also send as null. */
const Opt = <T extends TSchema>(schema: T) => Type.Optional(Nullable(schema));
/** No control characters: these strings are shown in one line, and a terminal or log must not be steered by them. */
const PRINTABLE = '^[^\\u0000-\\u001f\\u007f]*$';
const ShortText = Type.String({ maxLength: 256, pattern: PRINTABLE });
const PathText = Type.String({ maxLength: 4096, pattern: PRINTABLE });
export const COMMAND_ID_MAX_LENGTH = 64;
const CommandId = Type.String({ minLength: 1, maxLength: COMMAND_ID_MAX_LENGTH });
/** Output frames may carry at most this many lines (v1). */
export const MAX_LINES_PER_OUTPUT_FRAME = 10_000;

const FreshnessFields = {
  source_commit: Opt(ShortText),
  store_path: Opt(PathText),
  binary_hash: Opt(ShortText),
};

/** v1: what the dashboard needs to judge a host against the desired state (docs/protocol.md). */
const CommitHash = Type.String({ maxLength: 64, pattern: '^([0-9a-f]{7,64})?$' });
const DesiredStateFields = {
  /** The full commit checked out in the flake repository; empty before the first clone. */
  repo_commit: Opt(CommitHash),
  /** The full commit the running system was switched from; empty when not known. */
  system_commit: Opt(CommitHash),
  /** SHA-256 (hex) of flake.lock. */
  lock_hash: Opt(ShortText),
};

export const RunningCommand = Type.Object({
  command_id: CommandId,
  command: ShortText,
  pid: Nullable(Type.Integer()),
});
export type RunningCommand = Static<typeof RunningCommand>;

export const RegisterPayload = Type.Object({
  // The pattern is checked separately so that a bad hostname gets its own error code.
  hostname: Type.String({ maxLength: 253 }),
  host_type: Type.Optional(HostType),
  agent_version: Opt(ShortText),
  os_version: Opt(ShortText),
  nixpkgs_version: Opt(ShortText),
  generation: Opt(ShortText),
  theme_color: Opt(Type.String({ pattern: '^(#[0-9a-fA-F]{6})?$' })),
  heartbeat_interval: Opt(Type.Number({ minimum: 0, maximum: 86_400 })),
  location: Opt(ShortText),
  device_type: Opt(ShortText),
  repo_url: Opt(PathText),
  repo_dir: Opt(PathText),
  ...FreshnessFields,
  ...DesiredStateFields,
  protocol_version: Opt(Type.Integer({ minimum: 0, maximum: 1_000 })),
  running: Opt(RunningCommand),
  /** v1: the host's tags as configured on it (NIXFLEET_TAGS); rollouts can target them. */
  tags: Opt(Type.Array(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' }), { maxItems: 64 })),
});
export type RegisterPayload = Static<typeof RegisterPayload>;

export const HeartbeatPayload = Type.Object({
  generation: Opt(ShortText),
  nixpkgs_version: Opt(ShortText),
  pending_command: Opt(ShortText),
  command_pid: Opt(Type.Integer()),
  metrics: Opt(Metrics),
  update_status: Opt(UpdateStatus),
  agent_version: Opt(ShortText),
  os_version: Opt(ShortText),
  ...FreshnessFields,
  ...DesiredStateFields,
});
export type HeartbeatPayload = Static<typeof HeartbeatPayload>;

/** v0: one line a frame, attributed to the host's running command. */
export const OutputLinePayloadV0 = Type.Object({
  line: Type.String(),
  stream: Type.Optional(Stream),
  command: Opt(ShortText),
  is_error: Opt(Type.Boolean()),
});
export type OutputLinePayloadV0 = Static<typeof OutputLinePayloadV0>;

/** v1: several numbered lines of one command a frame. */
export const OutputBatchPayloadV1 = Type.Object({
  command_id: CommandId,
  // Exactly these three fields: the line objects go on to browsers as they are.
  lines: Type.Array(
    Type.Object({ seq: Type.Integer({ minimum: 0 }), stream: Stream, line: Type.String() }, { additionalProperties: false }),
    { minItems: 1, maxItems: MAX_LINES_PER_OUTPUT_FRAME },
  ),
});
export type OutputBatchPayloadV1 = Static<typeof OutputBatchPayloadV1>;

export const AgentStatusValue = Type.Union([
  Type.Literal('ok'),
  Type.Literal('error'),
  Type.Literal('stopped'),
  Type.Literal('warning'),
]);
export type AgentStatusValue = Static<typeof AgentStatusValue>;

export const StatusPayload = Type.Object({
  status: AgentStatusValue,
  command: ShortText,
  exit_code: Opt(Type.Integer()),
  message: Opt(Type.String({ maxLength: 65_536 })),
  generation: Opt(ShortText),
  command_id: Type.Optional(CommandId),
});
export type StatusPayload = Static<typeof StatusPayload>;

export const CommandRejectedPayload = Type.Object({
  reason: Opt(Type.String({ maxLength: 4096 })),
  current_command: Opt(ShortText),
  current_pid: Opt(Type.Integer()),
  command_id: Type.Optional(CommandId),
});
export type CommandRejectedPayload = Static<typeof CommandRejectedPayload>;

const PhaseProgress = Type.Object({
  current: Type.Optional(Type.Number()),
  total: Type.Optional(Type.Number()),
  status: Type.Optional(ShortText),
  results: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 10_000 })),
});

export const OperationProgressPayload = Type.Object({
  progress: Type.Object({
    pull: Type.Optional(PhaseProgress),
    lock: Type.Optional(PhaseProgress),
    system: Type.Optional(PhaseProgress),
    tests: Type.Optional(PhaseProgress),
  }),
});
export type OperationProgressPayload = Static<typeof OperationProgressPayload>;

export const TestProgressPayload = Type.Object({
  current: Type.Optional(Type.Number()),
  total: Type.Optional(Type.Number()),
  passed: Type.Optional(Type.Number()),
  running: Type.Optional(Type.Union([Type.Boolean(), ShortText])),
  result: Type.Optional(Type.Unknown()),
});
export type TestProgressPayload = Static<typeof TestProgressPayload>;

/** Every message type an agent may send, with the schema of its payload. */
export const AGENT_MESSAGE_SCHEMAS = {
  register: RegisterPayload,
  heartbeat: HeartbeatPayload,
  // `output` has two forms; see outputSchemaFor().
  output: Type.Union([OutputBatchPayloadV1, OutputLinePayloadV0]),
  status: StatusPayload,
  command_rejected: CommandRejectedPayload,
  operation_progress: OperationProgressPayload,
  test_progress: TestProgressPayload,
} as const;
export type AgentMessageType = keyof typeof AGENT_MESSAGE_SCHEMAS;

// Dashboard → agent.
export const CommandMessagePayload = Type.Object({
  command: Type.Union(COMMAND_NAMES.map((name) => Type.Literal(name))),
  command_id: CommandId,
});
export type CommandMessagePayload = Static<typeof CommandMessagePayload>;

export const KillCommandPayload = Type.Object({
  signal: Type.Union([Type.Literal('SIGTERM'), Type.Literal('SIGKILL')]),
  pid: Type.Literal(0),
  command_id: CommandId,
});
export type KillCommandPayload = Static<typeof KillCommandPayload>;

export const RegisteredPayload = Type.Object({ host_id: Type.String() });
export type RegisteredPayload = Static<typeof RegisteredPayload>;

export const ErrorPayload = Type.Object({ code: Type.String(), message: Type.String() });
export type ErrorPayload = Static<typeof ErrorPayload>;

export const DASHBOARD_TO_AGENT_SCHEMAS = {
  registered: RegisteredPayload,
  command: CommandMessagePayload,
  kill_command: KillCommandPayload,
  error: ErrorPayload,
} as const;

export type DashboardToAgentMessage =
  | { type: 'registered'; payload: RegisteredPayload }
  | { type: 'command'; payload: CommandMessagePayload }
  | { type: 'kill_command'; payload: KillCommandPayload }
  | { type: 'error'; payload: ErrorPayload };

export type AgentToDashboardMessage =
  | { type: 'register'; payload: RegisterPayload }
  | { type: 'heartbeat'; payload: HeartbeatPayload }
  | { type: 'output'; payload: OutputBatchPayloadV1 | OutputLinePayloadV0 }
  | { type: 'status'; payload: StatusPayload }
  | { type: 'command_rejected'; payload: CommandRejectedPayload }
  | { type: 'operation_progress'; payload: OperationProgressPayload }
  | { type: 'test_progress'; payload: TestProgressPayload };

export function isOutputBatch(payload: OutputBatchPayloadV1 | OutputLinePayloadV0): payload is OutputBatchPayloadV1 {
  return 'lines' in payload;
}

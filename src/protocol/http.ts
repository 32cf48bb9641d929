// Bodies of the HTTP routes (docs/api.md). Fastify validates requests against these.
import { Type, type Static } from '@sinclair/typebox';
import { Command, FleetEvent, Host, HostType, Nullable, OutputLine } from './model.js';
import { OUTPUT_BATCH_QUERY } from './constants.js';

export const HostIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 253 }) });
export type HostIdParams = Static<typeof HostIdParams>;

export const CommandIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type CommandIdParams = Static<typeof CommandIdParams>;

// The name is checked by the route, so an unknown command gets a 400 that names it.
export const DispatchCommandBody = Type.Object({
  command: Type.String({ minLength: 1, maxLength: 64 }),
  /** Keep the command until the host is online and idle instead of answering 409 (issue 7). */
  queue: Type.Optional(Type.Boolean()),
});
export type DispatchCommandBody = Static<typeof DispatchCommandBody>;

export const DispatchCommandReply = Type.Object({ status: Type.Literal('queued'), command_id: Type.String() });
export type DispatchCommandReply = Static<typeof DispatchCommandReply>;

/** DELETE and GET /api/commands/:id */
export const CommandReply = Type.Object({ command: Command });
export type CommandReply = Static<typeof CommandReply>;

/** GET /ws: a browser may ask for `output_batch` messages (OUTPUT_BATCH_QUERY); any other value is refused. */
export const WsQuery = Type.Object({ [OUTPUT_BATCH_QUERY.name]: Type.Optional(Type.Literal(OUTPUT_BATCH_QUERY.value)) });
export type WsQuery = Static<typeof WsQuery>;

/** The browser asked for `output_batch` messages (the schema checked the value). */
export function asksForOutputBatches(query: WsQuery): boolean {
  return query[OUTPUT_BATCH_QUERY.name] === OUTPUT_BATCH_QUERY.value;
}

export const OutputQuery = Type.Object({
  from_seq: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
});
export type OutputQuery = Static<typeof OutputQuery>;

export const OutputReply = Type.Object({
  command: Command,
  lines: Type.Array(OutputLine),
  more: Type.Boolean(),
});
export type OutputReply = Static<typeof OutputReply>;

/** A host made ahead of its agent: it gets its own token, which registers that host only. */
export const CreateHostBody = Type.Object({
  hostname: Type.String({ maxLength: 253 }),
  host_type: Type.Optional(HostType),
  location: Type.Optional(Type.String({ maxLength: 256 })),
  device_type: Type.Optional(Type.String({ maxLength: 256 })),
  theme_color: Type.Optional(Type.String({ pattern: '^(#[0-9a-fA-F]{6})?$' })),
});
export type CreateHostBody = Static<typeof CreateHostBody>;

export const HostTokenReply = Type.Object({ host: Host, token: Type.String() });
export type HostTokenReply = Static<typeof HostTokenReply>;

export const DeleteHostQuery = Type.Object({ force: Type.Optional(Type.Boolean()) });
export type DeleteHostQuery = Static<typeof DeleteHostQuery>;

export const EventsQuery = Type.Object({
  host: Type.Optional(Type.String({ maxLength: 253 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000 })),
});
export type EventsQuery = Static<typeof EventsQuery>;

export const HostsReply = Type.Object({ hosts: Type.Array(Host) });
export type HostsReply = Static<typeof HostsReply>;

export const SessionReply = Type.Object({ csrf_token: Type.String(), expires_at: Type.String() });
export type SessionReply = Static<typeof SessionReply>;

export const LoginBody = Type.Object({
  password: Type.String({ maxLength: 1024 }),
  totp: Type.Optional(Type.String({ maxLength: 16 })),
});
export type LoginBody = Static<typeof LoginBody>;

export const EventsReply = Type.Object({ events: Type.Array(FleetEvent) });
export type EventsReply = Static<typeof EventsReply>;

/** Every API error: a code a client can act on and a sentence for a human. */
export const ApiError = Type.Object({ error: Type.String(), message: Type.String() });
export type ApiError = Static<typeof ApiError>;

/** What an API token may do: read everything; also operate hosts (commands, rollouts); also administer them. */
export const API_SCOPES = ['read', 'operate', 'admin'] as const;
export const ApiScope = Type.Union(API_SCOPES.map((scope) => Type.Literal(scope)));
export type ApiScope = (typeof API_SCOPES)[number];

export const ApiToken = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scope: ApiScope,
  created_at: Type.String(),
  created_by: Type.String(),
  last_used_at: Nullable(Type.String()),
});
export type ApiToken = Static<typeof ApiToken>;

export const CreateApiTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
    scope: ApiScope,
  },
  { additionalProperties: false },
);
export type CreateApiTokenBody = Static<typeof CreateApiTokenBody>;

/** The token's secret is in this answer only. */
export const CreatedApiTokenReply = Type.Object({ token: ApiToken, secret: Type.String() });
export const ApiTokensReply = Type.Object({ tokens: Type.Array(ApiToken) });
export const ApiTokenIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type ApiTokenIdParams = Static<typeof ApiTokenIdParams>;

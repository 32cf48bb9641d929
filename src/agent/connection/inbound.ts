// Decoding of the dashboard's frames: parsed once, checked against the protocol's schemas.
import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { COMMAND_ID_MAX_LENGTH, DASHBOARD_TO_AGENT_SCHEMAS, type DashboardToAgentMessage } from '../../protocol/agent.js';
import { parseEnvelope } from '../../protocol/frame.js';

/**
 * A `command` whose name this agent does not know: a newer dashboard may send one. It still carries
 * an id, so the agent can answer it with a `status` error that names it instead of dropping it.
 */
export interface UnknownCommandMessage {
  type: 'unknown_command';
  payload: { command: string; command_id: string };
}

export type Inbound = DashboardToAgentMessage | UnknownCommandMessage;
export type InboundResult = { ok: true; message: Inbound } | { ok: false; reason: string };

const checks: ReadonlyMap<string, TypeCheck<TSchema>> = new Map(
  Object.entries(DASHBOARD_TO_AGENT_SCHEMAS).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]),
);
/** Longer than any command name; a longer one is not a command but garbage. */
const COMMAND_NAME_MAX_LENGTH = 256;
const anyCommandCheck = TypeCompiler.Compile(
  Type.Object({
    command: Type.String({ minLength: 1, maxLength: COMMAND_NAME_MAX_LENGTH }),
    command_id: Type.String({ minLength: 1, maxLength: COMMAND_ID_MAX_LENGTH }),
  }),
);

export function decodeInbound(text: string): InboundResult {
  const envelope = parseEnvelope(text);
  if (!envelope.ok) return envelope;
  const { type, payload } = envelope.message;
  const check = checks.get(type);
  if (!check) return { ok: false, reason: `unknown message type "${type}"` };
  if (check.Check(payload)) {
    // The schema check above is what makes this cast true.
    return { ok: true, message: { type, payload } as DashboardToAgentMessage };
  }
  const candidate: unknown = payload;
  if (type === 'command' && anyCommandCheck.Check(candidate)) {
    return { ok: true, message: { type: 'unknown_command', payload: { command: candidate.command, command_id: candidate.command_id } } };
  }
  const first = check.Errors(payload).First();
  return { ok: false, reason: `${type} payload ${first?.path || '/'}: ${first?.message ?? 'invalid'}` };
}

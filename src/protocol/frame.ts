// Decoding of inbound text frames: parsed once, checked against the envelope and the payload schema.
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { ValueError } from '@sinclair/typebox/errors';
import {
  AGENT_MESSAGE_SCHEMAS,
  OutputBatchPayloadV1,
  OutputLinePayloadV0,
  type AgentToDashboardMessage,
} from './agent.js';
import { BROWSER_MESSAGE_SCHEMAS, type BrowserToDashboardMessage } from './browser.js';

export type DecodeFailure = { ok: false; reason: string };
export type Decoded<T> = { ok: true; message: T } | DecodeFailure;

function compileAll(table: Readonly<Record<string, TSchema>>): ReadonlyMap<string, TypeCheck<TSchema>> {
  return new Map(Object.entries(table).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]));
}

const agentChecks = compileAll(AGENT_MESSAGE_SCHEMAS);
const browserChecks = compileAll(BROWSER_MESSAGE_SCHEMAS);
const outputV1Check = TypeCompiler.Compile(OutputBatchPayloadV1);
const outputV0Check = TypeCompiler.Compile(OutputLinePayloadV0);

export interface Envelope {
  type: string;
  payload: Record<string, unknown>;
}

/** Parses a frame's text into the `{type, payload}` envelope, or says what is wrong with it. */
export function parseEnvelope(text: string): Decoded<Envelope> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'a frame must be a JSON object {"type", "payload"}' };
  }
  const { type, payload } = value as { type?: unknown; payload?: unknown };
  if (typeof type !== 'string' || type.length === 0) {
    return { ok: false, reason: '"type" must be a non-empty string' };
  }
  // A missing payload reads as empty (get_state has nothing to say); a present one must be an object.
  if (payload === undefined) return { ok: true, message: { type, payload: {} } };
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, reason: '"payload" must be a JSON object' };
  }
  return { ok: true, message: { type, payload: payload as Record<string, unknown> } };
}

/**
 * The most specific error under a union error ("Expected union value" says little): the one that
 * got deepest into the value, which is in the variant the sender most likely meant.
 */
function deepest(error: ValueError): ValueError {
  let best = error;
  for (const variant of error.errors) {
    for (const nested of variant) {
      const candidate = deepest(nested);
      if (candidate.path.length > best.path.length) best = candidate;
    }
  }
  return best;
}

/** Returns what is wrong with the payload, or null when it fits the schema. */
function problem(checker: TypeCheck<TSchema>, type: string, payload: unknown): string | null {
  if (checker.Check(payload)) return null;
  const first = checker.Errors(payload).First();
  const error = first ? deepest(first) : undefined;
  return `${type} payload ${error?.path || '/'}: ${error?.message ?? 'invalid'}`;
}

export function isAgentMessageType(type: string): boolean {
  return agentChecks.has(type);
}

export function isBrowserMessageType(type: string): boolean {
  return browserChecks.has(type);
}

function decodeWith<M>(checks: ReadonlyMap<string, TypeCheck<TSchema>>, envelope: Envelope): Decoded<M> {
  const { type, payload } = envelope;
  let checker = checks.get(type);
  if (!checker) return { ok: false, reason: `unknown message type "${type}"` };
  // `output` has two wire forms; the one with `lines` is v1. Checking each alone gives a useful error.
  if (type === 'output') checker = 'lines' in payload ? outputV1Check : outputV0Check;
  const reason = problem(checker, type, payload);
  // The schema check above is what makes this cast true.
  return reason === null ? { ok: true, message: { type, payload } as M } : { ok: false, reason };
}

/** Validates an agent's envelope against the payload schema of its type. */
export function decodeAgentMessage(envelope: Envelope): Decoded<AgentToDashboardMessage> {
  return decodeWith(agentChecks, envelope);
}

/** Validates a browser's envelope against the payload schema of its type. */
export function decodeBrowserMessage(envelope: Envelope): Decoded<BrowserToDashboardMessage> {
  return decodeWith(browserChecks, envelope);
}

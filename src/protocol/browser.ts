// Messages between a browser and the dashboard (docs/protocol.md).
import { Type, type Static } from '@sinclair/typebox';
import { Command, DesiredState, FleetEvent, Host, OutputLine } from './model.js';
import { Rollout } from './rollout.js';
import type { ErrorPayload, OperationProgressPayload, TestProgressPayload } from './agent.js';

export const GetStatePayload = Type.Object({});
export type GetStatePayload = Static<typeof GetStatePayload>;

export const GetOutputPayload = Type.Object({
  command_id: Type.String({ minLength: 1, maxLength: 64 }),
  from_seq: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type GetOutputPayload = Static<typeof GetOutputPayload>;

export const BROWSER_MESSAGE_SCHEMAS = {
  get_state: GetStatePayload,
  get_output: GetOutputPayload,
} as const;
export type BrowserMessageType = keyof typeof BROWSER_MESSAGE_SCHEMAS;

export type BrowserToDashboardMessage =
  | { type: 'get_state'; payload: GetStatePayload }
  | { type: 'get_output'; payload: GetOutputPayload };

export const InitPayload = Type.Object({
  hosts: Type.Array(Host),
  commands: Type.Array(Command),
  desired: DesiredState,
  /** Rollouts not yet ended and the most recent others, newest first. */
  rollouts: Type.Array(Rollout),
  version: Type.Integer({ minimum: 0 }),
});
export type InitPayload = Static<typeof InitPayload>;

export const CommandOutputPayload = Type.Object({
  host_id: Type.String(),
  command_id: Type.String(),
  command: Type.String(),
  lines: Type.Array(OutputLine),
  /** Set on a replay (`get_output`) that stopped at its size limit: ask again from the next seq. */
  more: Type.Optional(Type.Boolean()),
});
export type CommandOutputPayload = Static<typeof CommandOutputPayload>;

/** Messages that change state carry the global `version`; the others do not. */
export type VersionedBrowserMessage =
  | { type: 'host_update'; payload: { host: Host }; version: number }
  | { type: 'host_removed'; payload: { host_id: string }; version: number }
  | { type: 'command_queued'; payload: { command: Command }; version: number }
  | { type: 'command_update'; payload: { command: Command }; version: number }
  | { type: 'desired_update'; payload: { desired: DesiredState }; version: number }
  /**
   * With `delta`, `rollout.hosts` holds only the hosts that changed since this rollout's previous
   * rollout_update (or since `init`): merge them by host_id into the rollout already known.
   */
  | { type: 'rollout_update'; payload: { rollout: Rollout; delta: boolean }; version: number };

export type UnversionedBrowserMessage =
  | { type: 'init'; payload: InitPayload }
  | { type: 'command_output'; payload: CommandOutputPayload }
  /** Live output of several commands, as the `command_output` messages it stands for, in order (OUTPUT_BATCH_QUERY). */
  | { type: 'output_batch'; payload: { outputs: CommandOutputPayload[] } }
  | { type: 'operation_progress'; payload: OperationProgressPayload & { host_id: string } }
  | { type: 'test_progress'; payload: TestProgressPayload & { host_id: string } }
  | { type: 'event'; payload: FleetEvent }
  | { type: 'error'; payload: ErrorPayload };

export type DashboardToBrowserMessage = VersionedBrowserMessage | UnversionedBrowserMessage;
export type VersionedMessageType = VersionedBrowserMessage['type'];

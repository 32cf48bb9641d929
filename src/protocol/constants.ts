// Names and numbers that both ends of the wire must agree on. See docs/protocol.md.

/** Every command an agent knows (docs/protocol.md, "Command names"). */
export const COMMAND_NAMES = [
  'pull',
  'switch',
  'pull-switch',
  'test',
  'rollback',
  'update',
  'stop',
  'restart',
  'reboot',
  'refresh-git',
  'refresh-lock',
  'refresh-system',
  'refresh-all',
  'check-version',
  'force-update',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

const commandNameSet: ReadonlySet<string> = new Set(COMMAND_NAMES);
export function isCommandName(value: string): value is CommandName {
  return commandNameSet.has(value);
}

/**
 * `stop` interrupts whatever runs, so it is never refused for a busy host and never makes a host busy.
 * `restart` and `reboot` take the agent away; they are complete when the agent registers again.
 */
export const INTERRUPT_COMMANDS: ReadonlySet<CommandName> = new Set(['stop']);
export const RECONNECTING_COMMANDS: ReadonlySet<CommandName> = new Set(['restart', 'reboot']);

export const COMMAND_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'stopped',
  'timed_out',
  'lost',
  // Additions for commands queued for a host that was offline or busy (issue 7):
  'cancelled',
  'expired',
] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

/** Statuses after which a command never changes again, except `lost`, which a late report may settle. */
export const FINAL_COMMAND_STATUSES: ReadonlySet<CommandStatus> = new Set([
  'succeeded',
  'failed',
  'stopped',
  'timed_out',
  'cancelled',
  'expired',
]);

export function isActiveStatus(status: CommandStatus): boolean {
  return status === 'queued' || status === 'running';
}

/** A host's five compartments, in the order they are shown (docs/desired-state.md). */
export const COMPARTMENT_NAMES = ['agent', 'git', 'lock', 'system', 'tests'] as const;
export type CompartmentName = (typeof COMPARTMENT_NAMES)[number];

/** WebSocket close codes the dashboard uses. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
  /** Cluster: the instance that keeps the fleet changed, or the bus to it was lost; reconnect. */
  serviceRestart: 1012,
  /** A newer connection registered the same host. */
  replaced: 4001,
  /** The browser's session ended (logout or expiry). */
  sessionEnded: 4003,
  /** The agent's token was rotated or its host removed: it must not speak for the host any more. */
  credentialsRevoked: 4004,
  /** The peer did not read fast enough and its outbound queue passed its byte cap. */
  slowConsumer: 4008,
} as const;

/** Codes carried by `error` messages. */
export const ErrorCode = {
  badMessage: 'bad_message',
  notRegistered: 'not_registered',
  badHostname: 'bad_hostname',
  forbidden: 'forbidden',
  unknownCommand: 'unknown_command',
  noRunningCommand: 'no_running_command',
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export const SESSION_COOKIE = 'nixfleet_session';
/** Every API token starts so: it cannot be taken for an agent token, and a leaked one is recognisable. */
export const API_TOKEN_PREFIX = 'nfx_';
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FORM_FIELD = 'csrf_token';

/** The newest protocol version this code speaks; agents that send none speak version 0. */
export const PROTOCOL_VERSION = 1;

export const HOSTNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';
const hostnameRegExp = new RegExp(HOSTNAME_PATTERN);
export function isValidHostname(value: string): boolean {
  return hostnameRegExp.test(value);
}

/**
 * A browser that opens /ws with this query parameter (`?output=batched`) may get the live output of
 * several commands in one `output_batch` message instead of one `command_output` each.
 */
export const OUTPUT_BATCH_QUERY = { name: 'output', value: 'batched' } as const;

// Arguments of every subcommand, read by node:util's parseArgs; a bad one is a usage error (exit 2)
// that names it and points at the subcommand's --help. Also what every subcommand is handed to run.
import { DashboardClient } from './http-client.js';
import { usageError } from './errors.js';
import { resolveSettings, type Settings } from './settings.js';

/** The options every subcommand takes: where the dashboard is, the token, and --help. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  'token-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What a subcommand runs with: the environment and where its text goes. */
export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  /** A line (or lines) for stdout; the newline is added. */
  out(text: string): void;
  /** A line for stderr; the newline is added. */
  err(text: string): void;
}

export interface Connection {
  settings: Settings;
  client: DashboardClient;
}

/** The settings (flags over environment) and a client for them; asked for only once --help is ruled out. */
export function connect(io: CliIo, values: { url?: string | undefined; 'token-file'?: string | undefined }): Connection {
  const settings = resolveSettings(io.env, { url: values.url, tokenFile: values['token-file'] });
  return { settings, client: new DashboardClient(settings) };
}

/**
 * Runs `parse` (a parseArgs call) and turns its complaint into a usage error for `command`.
 * parseArgs's messages go on with advice about "--" that is beside the point here: the first
 * sentence is kept.
 */
export function parseOptions<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw err;
    const sentence = (err as Error).message.split(/\.\s/)[0] ?? '';
    throw usageError(`${command}: ${sentence.replace(/\.$/, '')} (try nixfleet ${command} --help)`);
  }
}

/** An integer option (`--batch-size 5`); undefined when not given. */
export function integerOption(command: string, name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min) throw usageError(`${command}: --${name} must be a whole number of at least ${min}, got "${text}"`);
  return Number(text);
}

/** `a,b, c` as ["a", "b", "c"]. */
export function listOption(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Exactly `count` positionals, or a usage error naming what is missing or too much. */
export function positionals(command: string, given: readonly string[], names: readonly string[]): string[] {
  if (given.length < names.length) throw usageError(`${command}: missing ${names.slice(given.length).map((n) => `<${n}>`).join(' ')} (try nixfleet ${command} --help)`);
  if (given.length > names.length) throw usageError(`${command}: unexpected argument "${given[names.length]}" (try nixfleet ${command} --help)`);
  return [...given];
}

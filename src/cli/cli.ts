// The command line as a function: the first argument names the subcommand, which parses its own
// options, talks to the dashboard and answers an exit code. A failure is one line on stderr,
// `nixfleet: <what went wrong>`, and its exit code (errors.ts).
import { PACKAGE_VERSION } from '../util/version.js';
import type { CliIo } from './args.js';
import { CliError, EXIT_FAILED, EXIT_OK, usageError } from './errors.js';
import { MAIN_HELP } from './help.js';
import { cancelCommand } from './commands/cancel.js';
import { hostsCommand } from './commands/hosts.js';
import { outputCommand } from './commands/output.js';
import { rolloutCommand } from './commands/rollout.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';

type Subcommand = (args: string[], io: CliIo) => Promise<number>;

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  hosts: hostsCommand,
  run: runCommand,
  output: outputCommand,
  status: statusCommand,
  rollout: rolloutCommand,
  cancel: cancelCommand,
};

async function dispatch(args: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = args;
  if (first === '--help' || first === '-h' || first === 'help') {
    if (rest.length > 0) throw usageError(`${first} takes no further arguments (try nixfleet SUBCOMMAND --help)`);
    io.out(MAIN_HELP);
    return EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    if (rest.length > 0) throw usageError(`${first} takes no further arguments`);
    io.out(`nixfleet ${PACKAGE_VERSION}`);
    return EXIT_OK;
  }
  if (first === undefined) throw usageError('missing subcommand: hosts, run, output, cancel, status or rollout (try nixfleet --help)');
  const subcommand = SUBCOMMANDS[first];
  if (!subcommand) throw usageError(`unknown subcommand "${first}": hosts, run, output, cancel, status or rollout (try nixfleet --help)`);
  return subcommand(rest, io);
}

/** Runs `nixfleet <args>`; answers the exit code, having said on `io.err` what went wrong. */
export async function nixfleet(args: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(args, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`nixfleet: ${err.message}`);
      return err.exitCode;
    }
    io.err(`nixfleet: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT_FAILED;
  }
}

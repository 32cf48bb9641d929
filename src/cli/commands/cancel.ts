// nixfleet cancel: withdraws commands that still wait in their hosts' queues (DELETE /api/commands/:id).
// A command that runs is stopped with `run stop` instead; one that ended stays as it ended.
import { parseArgs } from 'node:util';
import type { CommandReply } from '../../protocol/http.js';
import { CONNECTION_OPTIONS, connect, parseOptions, type CliIo } from '../args.js';
import { CliError, EXIT_DENIED, EXIT_FAILED, EXIT_OK, EXIT_UNAVAILABLE, usageError } from '../errors.js';
import { CANCEL_HELP } from '../help.js';

export async function cancelCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: ids } = parseOptions('cancel', () => parseArgs({ args, allowPositionals: true, options: { ...CONNECTION_OPTIONS } }));
  if (values.help) {
    io.out(CANCEL_HELP);
    return EXIT_OK;
  }
  if (ids.length === 0) throw usageError('cancel: name the commands to withdraw: nixfleet cancel COMMAND_ID … (try nixfleet cancel --help)');
  const { client } = connect(io, values);
  let exit = EXIT_OK;
  for (const id of ids) {
    try {
      const { command } = await client.delete<CommandReply>(`/api/commands/${encodeURIComponent(id)}`);
      io.out(`${command.command} on ${command.host_id} (${command.id}): cancelled`);
    } catch (err) {
      // A refused token or scope, or a dashboard that is not there, is the same answer for every id.
      if (!(err instanceof CliError) || err.exitCode === EXIT_DENIED || err.exitCode === EXIT_UNAVAILABLE) throw err;
      io.err(`nixfleet: ${id}: ${err.message}`);
      exit = EXIT_FAILED;
    }
  }
  return exit;
}

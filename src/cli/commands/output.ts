// nixfleet output: a command's stored output (GET /api/commands/:id/output, page by page), and with
// --follow its new lines until it ends.
import { parseArgs } from 'node:util';
import type { OutputReply } from '../../protocol/http.js';
import type { Command, OutputLine } from '../../protocol/model.js';
import { CONNECTION_OPTIONS, connect, parseOptions, positionals, type CliIo } from '../args.js';
import { CommandFollower } from '../command-follower.js';
import { isEnded } from '../command-watch.js';
import { EXIT_FAILED, EXIT_OK } from '../errors.js';
import { commandOutcome } from '../format.js';
import { OUTPUT_HELP } from '../help.js';
import type { DashboardClient } from '../http-client.js';

/** Prints the stored lines from `fromSeq` on, every page; answers the command and the next seq to print. */
export async function printStored(client: DashboardClient, commandId: string, print: (lines: readonly OutputLine[]) => void, fromSeq = 0): Promise<{ command: Command; next: number }> {
  let next = fromSeq;
  for (;;) {
    const reply = await client.get<OutputReply>(`/api/commands/${encodeURIComponent(commandId)}/output`, { from_seq: next });
    if (reply.lines.length > 0) print(reply.lines);
    const last = reply.lines[reply.lines.length - 1];
    if (last) next = last.seq + 1;
    if (!reply.more || !last) return { command: reply.command, next };
  }
}

export async function outputCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: given } = parseOptions('output', () =>
    parseArgs({ args, allowPositionals: true, options: { ...CONNECTION_OPTIONS, follow: { type: 'boolean', short: 'f' } } }),
  );
  if (values.help) {
    io.out(OUTPUT_HELP);
    return EXIT_OK;
  }
  const [commandId = ''] = positionals('output', given, ['command-id']);
  const { settings, client } = connect(io, values);
  const print = (lines: readonly OutputLine[]) => io.out(lines.map((line) => line.line).join('\n'));
  if (!values.follow) {
    const { command } = await printStored(client, commandId, print);
    if (isEnded(command.status)) io.err(`${command.command} on ${command.host_id}: ${commandOutcome(command)}`);
    return EXIT_OK;
  }
  // The socket opens first: whatever happens after the stored lines were read comes through it.
  const follower = await CommandFollower.open(settings, client);
  try {
    const { command, next } = await printStored(client, commandId, print);
    const end = await follower.follow(commandId, print, next, command);
    io.err(`${end.command} on ${end.host_id}: ${commandOutcome(end)}`);
    return end.status === 'succeeded' ? EXIT_OK : EXIT_FAILED;
  } finally {
    follower.close();
  }
}

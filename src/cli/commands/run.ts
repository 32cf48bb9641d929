// nixfleet run: one command sent to many hosts (POST /api/hosts/:id/command each), and with --follow
// their output streamed with host prefixes until every one has ended, then a line per host.
import { parseArgs } from 'node:util';
import { COMMAND_NAMES, isCommandName } from '../../protocol/constants.js';
import type { DispatchCommandReply } from '../../protocol/http.js';
import type { Command } from '../../protocol/model.js';
import { CONNECTION_OPTIONS, connect, parseOptions, positionals, type CliIo } from '../args.js';
import { CommandFollower } from '../command-follower.js';
import { CliError, EXIT_DENIED, EXIT_FAILED, EXIT_OK, EXIT_UNAVAILABLE, usageError } from '../errors.js';
import { commandOutcome, prefixer, table } from '../format.js';
import { RUN_HELP } from '../help.js';
import type { DashboardClient } from '../http-client.js';
import { fetchHosts, hasTag } from './hosts.js';

type Target = { kind: 'hosts'; hostIds: string[] } | { kind: 'tag'; tag: string } | { kind: 'all' };

type Dispatch = { hostId: string; commandId: string } | { hostId: string; error: CliError };

function targetOf(values: { host?: string[] | undefined; tag?: string | undefined; all?: boolean | undefined }): Target {
  const hostIds = [...new Set(values.host ?? [])];
  const given = [hostIds.length > 0, values.tag !== undefined, values.all === true].filter(Boolean).length;
  if (given !== 1) throw usageError('run: name the hosts with --host (repeatable), --tag or --all: exactly one of them (try nixfleet run --help)');
  if (hostIds.length > 0) return { kind: 'hosts', hostIds };
  if (values.tag !== undefined) return { kind: 'tag', tag: values.tag };
  return { kind: 'all' };
}

async function resolveTarget(client: DashboardClient, target: Target): Promise<string[]> {
  if (target.kind === 'hosts') return target.hostIds;
  const hosts = await fetchHosts(client);
  const chosen = target.kind === 'tag' ? hosts.filter((host) => hasTag(host, target.tag)) : hosts;
  if (chosen.length === 0) throw new CliError(target.kind === 'tag' ? `no host has the tag ${target.tag}` : 'the fleet has no hosts', 'no_hosts', EXIT_FAILED);
  return chosen.map((host) => host.id);
}

async function dispatch(client: DashboardClient, hostId: string, command: string, queue: boolean): Promise<Dispatch> {
  try {
    const reply = await client.post<DispatchCommandReply>(`/api/hosts/${encodeURIComponent(hostId)}/command`, { command, queue });
    return { hostId, commandId: reply.command_id };
  } catch (err) {
    if (err instanceof CliError) return { hostId, error: err };
    throw err;
  }
}

export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: given } = parseOptions('run', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...CONNECTION_OPTIONS,
        host: { type: 'string', multiple: true },
        tag: { type: 'string' },
        all: { type: 'boolean' },
        follow: { type: 'boolean', short: 'f' },
        queue: { type: 'boolean' },
      },
    }),
  );
  if (values.help) {
    io.out(RUN_HELP);
    return EXIT_OK;
  }
  const [command = ''] = positionals('run', given, ['command']);
  if (!isCommandName(command)) throw usageError(`run: "${command}" is not a command; one of ${COMMAND_NAMES.join(', ')}`);
  const target = targetOf(values);
  const { settings, client } = connect(io, values);
  const hostIds = await resolveTarget(client, target);

  // The socket opens before anything is sent, so that no line and no end is missed.
  const follower = values.follow ? await CommandFollower.open(settings, client) : null;
  try {
    const dispatches = await Promise.all(hostIds.map((hostId) => dispatch(client, hostId, command, values.queue === true)));
    // A refused token or scope is the same answer for every host: said once.
    const denied = dispatches.find((d): d is Extract<Dispatch, { error: CliError }> => 'error' in d && d.error.exitCode === EXIT_DENIED);
    if (denied) throw denied.error;
    for (const d of dispatches) if ('error' in d) io.err(`nixfleet: ${d.hostId}: ${d.error.message}`);
    if (!follower) return reportSent(io, dispatches);
    return await followAll(io, follower, dispatches);
  } finally {
    follower?.close();
  }
}

function reportSent(io: CliIo, dispatches: readonly Dispatch[]): number {
  const sent = dispatches.filter((d): d is Extract<Dispatch, { commandId: string }> => 'commandId' in d);
  if (sent.length > 0) io.out(table(sent.map((d) => [d.hostId, d.commandId])));
  return sent.length === dispatches.length ? EXIT_OK : failedExit(dispatches);
}

/** A command not sent because the dashboard could not be reached or failed is worth a retry: 4, not 1. */
function failedExit(dispatches: readonly Dispatch[]): number {
  return dispatches.some((d) => 'error' in d && d.error.exitCode === EXIT_UNAVAILABLE) ? EXIT_UNAVAILABLE : EXIT_FAILED;
}

async function followAll(io: CliIo, follower: CommandFollower, dispatches: readonly Dispatch[]): Promise<number> {
  const prefix = prefixer(dispatches.map((d) => d.hostId));
  const ends = await Promise.all(
    dispatches.map(async (d): Promise<{ hostId: string; end: Command | null; error?: CliError }> => {
      if ('error' in d) return { hostId: d.hostId, end: null, error: d.error };
      const end = await follower.follow(d.commandId, (lines) => io.out(lines.map((l) => `${prefix(d.hostId)}${l.line}`).join('\n')));
      return { hostId: d.hostId, end };
    }),
  );
  io.out(table(ends.map(({ hostId, end, error }) => [hostId, end ? commandOutcome(end) : `not sent: ${error?.message ?? ''}`])));
  return ends.every(({ end }) => end?.status === 'succeeded') ? EXIT_OK : failedExit(dispatches);
}

// nixfleet rollout: start one (POST /api/rollouts), list them, show one, pause, resume or cancel it,
// and with --follow tell its progress until it is over.
import { parseArgs } from 'node:util';
import { describeStrategy, isHostDone } from '../../protocol/rollout-rules.js';
import type { CreateRolloutBody, Rollout } from '../../protocol/rollout.js';
import { CONNECTION_OPTIONS, connect, integerOption, listOption, parseOptions, positionals, type CliIo, type Connection } from '../args.js';
import { EXIT_FAILED, EXIT_OK, usageError } from '../errors.js';
import { json, table } from '../format.js';
import { ROLLOUT_HELP, ROLLOUT_LIST_HELP, ROLLOUT_SHOW_HELP, ROLLOUT_START_HELP, rolloutChangeHelp } from '../help.js';
import { RolloutFollower } from '../rollout-follower.js';

type RolloutReply = { rollout: Rollout };
const CHANGES = ['pause', 'resume', 'cancel'] as const;

export async function rolloutCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    if (sub === undefined) throw usageError('rollout: missing subcommand: start, list, show, pause, resume or cancel (try nixfleet rollout --help)');
    io.out(ROLLOUT_HELP);
    return EXIT_OK;
  }
  if (sub === 'start') return start(rest, io);
  if (sub === 'list') return list(rest, io);
  if (sub === 'show') return show(rest, io);
  const change = CHANGES.find((action) => action === sub);
  if (change) return changeRollout(change, rest, io);
  throw usageError(`rollout: unknown subcommand "${sub}": start, list, show, pause, resume or cancel (try nixfleet rollout --help)`);
}

/** `rollout <id> halted: web-02 failed`; a message that repeats the status is left out. */
function statusLine(rollout: Rollout): string {
  const message = rollout.message && rollout.message !== rollout.status ? `: ${rollout.message}` : '';
  return `rollout ${rollout.id} ${rollout.status}${message}`;
}

/** `deploy (pull, switch, test) on tag web: 4 hosts; 1 canary, then batches of 5, …` */
function rolloutHeadline(rollout: Rollout): string {
  const steps = rollout.preset ? `${rollout.preset} (${rollout.steps.join(', ')})` : rollout.steps.join(', ');
  const count = `${rollout.hosts.length} host${rollout.hosts.length === 1 ? '' : 's'}`;
  const target = rollout.target === count ? count : `${rollout.target}: ${count}`;
  return `${steps} on ${target}; ${describeStrategy(rollout.strategy)}`;
}

function rolloutHostsTable(rollout: Rollout): string {
  const rows = rollout.hosts.map((host) => {
    const steps = host.steps.map((step) => `${step.command}:${step.state}`);
    if (host.rollback) steps.push(`rollback:${host.rollback.state}`);
    const commandIds = [...host.steps, ...(host.rollback ? [host.rollback] : [])].map((step) => step.command_id).filter((id): id is string => id !== null);
    return [host.host_id + (host.canary ? ' (canary)' : ''), host.state, steps.join(' '), commandIds.join(' ')];
  });
  return table([['HOST', 'STATE', 'STEPS', 'COMMAND IDS'], ...rows]);
}

/** How it ended, then each host indented (apart from the progress lines): its end and the step that failed. */
function endLines(rollout: Rollout): string[] {
  const done = rollout.hosts.filter(isHostDone).length;
  const rows = rollout.hosts.map((host) => {
    const failed = host.steps.find((step) => step.state === 'failed');
    return [`  ${host.host_id}`, host.state.replace('_', ' '), failed ? `${failed.command}: ${failed.message}` : ''];
  });
  return [`${statusLine(rollout)} (${done} of ${rollout.hosts.length} hosts done, ${rollout.failures} failed)`, table(rows)];
}

/** Tells the rollout's progress until it is over; exit 0 only when it succeeded. */
async function followRollout(io: CliIo, connection: Connection, open: () => Promise<Rollout>): Promise<number> {
  // The socket opens before the rollout is started (or read), so that no change is missed.
  const follower = await RolloutFollower.open(connection.settings, connection.client, (line) => io.out(line));
  try {
    const known = await open();
    io.out(`rollout ${known.id}: ${rolloutHeadline(known)}`);
    const last = await follower.follow(known);
    for (const line of endLines(last)) io.out(line);
    return last.status === 'succeeded' ? EXIT_OK : EXIT_FAILED;
  } finally {
    follower.close();
  }
}

function startBody(values: {
  host?: string[] | undefined;
  tag?: string | undefined;
  behind?: boolean | undefined;
  preset?: string | undefined;
  steps?: string | undefined;
  canary?: string | undefined;
  'batch-size'?: string | undefined;
  'max-failures'?: string | undefined;
  rollback?: boolean | undefined;
  offline?: string | undefined;
}): CreateRolloutBody {
  const command = 'rollout start';
  const body: CreateRolloutBody = {};
  if (values.host && values.host.length > 0) body.hosts = [...new Set(values.host)];
  if (values.tag !== undefined) body.tag = values.tag;
  if (values.behind) body.behind = true;
  if (!body.hosts && body.tag === undefined && !body.behind) throw usageError(`${command}: name the target with --host, --tag or --behind (try nixfleet ${command} --help)`);
  if ((values.preset === undefined) === (values.steps === undefined)) throw usageError(`${command}: give either --preset or --steps (try nixfleet ${command} --help)`);
  if (values.preset !== undefined) body.preset = values.preset;
  if (values.steps !== undefined) body.steps = listOption(values.steps);
  if (values.canary !== undefined) body.canary = /^\d+$/.test(values.canary) ? Number(values.canary) : listOption(values.canary);
  const batchSize = integerOption(command, 'batch-size', values['batch-size'], 1);
  if (batchSize !== undefined) body.batch_size = batchSize;
  const maxFailures = integerOption(command, 'max-failures', values['max-failures'], 0);
  if (maxFailures !== undefined) body.max_failures = maxFailures;
  if (values.rollback) body.rollback_on_failure = true;
  if (values.offline !== undefined) {
    if (values.offline !== 'skip' && values.offline !== 'wait') throw usageError(`${command}: --offline is skip or wait, got "${values.offline}"`);
    body.offline = values.offline;
  }
  return body;
}

async function start(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: given } = parseOptions('rollout start', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...CONNECTION_OPTIONS,
        host: { type: 'string', multiple: true },
        tag: { type: 'string' },
        behind: { type: 'boolean' },
        preset: { type: 'string' },
        steps: { type: 'string' },
        canary: { type: 'string' },
        'batch-size': { type: 'string' },
        'max-failures': { type: 'string' },
        rollback: { type: 'boolean' },
        offline: { type: 'string' },
        follow: { type: 'boolean', short: 'f' },
        json: { type: 'boolean' },
      },
    }),
  );
  if (values.help) {
    io.out(ROLLOUT_START_HELP);
    return EXIT_OK;
  }
  positionals('rollout start', given, []);
  const body = startBody(values);
  const connection = connect(io, values);
  const post = async () => (await connection.client.post<RolloutReply>('/api/rollouts', body)).rollout;
  if (values.follow) return followRollout(io, connection, post);
  const rollout = await post();
  io.out(values.json ? json(rollout) : `rollout ${rollout.id} started: ${rolloutHeadline(rollout)}`);
  return EXIT_OK;
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: given } = parseOptions('rollout list', () =>
    parseArgs({ args, allowPositionals: true, options: { ...CONNECTION_OPTIONS, json: { type: 'boolean' }, limit: { type: 'string' } } }),
  );
  if (values.help) {
    io.out(ROLLOUT_LIST_HELP);
    return EXIT_OK;
  }
  positionals('rollout list', given, []);
  const limit = integerOption('rollout list', 'limit', values.limit, 1);
  const { client } = connect(io, values);
  const { rollouts } = await client.get<{ rollouts: Rollout[] }>('/api/rollouts', { limit });
  if (values.json) io.out(json(rollouts));
  else if (rollouts.length === 0) io.out('no rollouts yet');
  else {
    const rows = rollouts.map((r) => [r.id, r.status, r.preset ?? r.steps.join(','), r.target, `${r.hosts.filter(isHostDone).length}/${r.hosts.length}`, String(r.failures), r.created_at]);
    io.out(table([['ID', 'STATUS', 'STEPS', 'TARGET', 'DONE', 'FAILED', 'CREATED'], ...rows]));
  }
  return EXIT_OK;
}

async function show(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: given } = parseOptions('rollout show', () =>
    parseArgs({ args, allowPositionals: true, options: { ...CONNECTION_OPTIONS, json: { type: 'boolean' }, follow: { type: 'boolean', short: 'f' } } }),
  );
  if (values.help) {
    io.out(ROLLOUT_SHOW_HELP);
    return EXIT_OK;
  }
  const [id = ''] = positionals('rollout show', given, ['rollout-id']);
  const connection = connect(io, values);
  const read = async () => (await connection.client.get<RolloutReply>(`/api/rollouts/${encodeURIComponent(id)}`)).rollout;
  if (values.follow) return followRollout(io, connection, read);
  const rollout = await read();
  if (values.json) io.out(json(rollout));
  else {
    io.out(statusLine(rollout));
    io.out(rolloutHeadline(rollout));
    io.out(`created ${rollout.created_at} by ${rollout.created_by}${rollout.finished_at ? `, finished ${rollout.finished_at}` : ''}`);
    io.out(rolloutHostsTable(rollout));
  }
  return EXIT_OK;
}

async function changeRollout(action: (typeof CHANGES)[number], args: string[], io: CliIo): Promise<number> {
  const command = `rollout ${action}`;
  const { values, positionals: given } = parseOptions(command, () => parseArgs({ args, allowPositionals: true, options: { ...CONNECTION_OPTIONS } }));
  if (values.help) {
    io.out(rolloutChangeHelp(action));
    return EXIT_OK;
  }
  const [id = ''] = positionals(command, given, ['rollout-id']);
  const { client } = connect(io, values);
  const { rollout } = await client.post<RolloutReply>(`/api/rollouts/${encodeURIComponent(id)}/${action}`);
  io.out(statusLine(rollout));
  return EXIT_OK;
}

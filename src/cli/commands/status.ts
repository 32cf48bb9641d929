// nixfleet status: is the dashboard well (/health), what should the fleet run (GET /api/desired), and
// where do the hosts stand (GET /api/hosts, counted as the web summary counts them).
import { parseArgs } from 'node:util';
import type { DesiredState } from '../../protocol/model.js';
import { CONNECTION_OPTIONS, connect, parseOptions, positionals, type CliIo } from '../args.js';
import { EXIT_FAILED, EXIT_OK } from '../errors.js';
import { json, table } from '../format.js';
import { STATUS_HELP } from '../help.js';
import type { HealthAnswer } from '../http-client.js';
import { STANDINGS, summarize, type FleetSummary } from '../standing.js';
import { fetchHosts } from './hosts.js';

function healthText(health: HealthAnswer): string {
  if (health.status !== 'ok') return `unhealthy: ${(health.problems ?? []).join('; ')}`;
  const facts = [health.instance && `instance ${health.instance}`, health.storage].filter(Boolean);
  return facts.length > 0 ? `ok (${facts.join(', ')})` : 'ok';
}

function desiredText(desired: DesiredState): string {
  if (desired.source === 'none') return 'no fleet repository configured (NIXFLEET_REPO_URL)';
  const head = desired.commit ? `${desired.branch} at ${desired.commit.slice(0, 7)}${desired.subject ? ` "${desired.subject}"` : ''}` : `${desired.branch}, not read yet`;
  return desired.error ? `${head}; the last fetch failed: ${desired.error}` : head;
}

/** `5 hosts: 1 current, 1 behind, 1 failing, 0 working, 2 unknown; 1 offline` */
export function summaryText(summary: FleetSummary): string {
  const standings = STANDINGS.map((standing) => `${summary[standing]} ${standing}`).join(', ');
  return `${summary.total} host${summary.total === 1 ? '' : 's'}: ${standings}; ${summary.offline} offline`;
}

export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: given } = parseOptions('status', () =>
    parseArgs({ args, allowPositionals: true, options: { ...CONNECTION_OPTIONS, json: { type: 'boolean' } } }),
  );
  if (values.help) {
    io.out(STATUS_HELP);
    return EXIT_OK;
  }
  positionals('status', given, []);
  const { settings, client } = connect(io, values);
  const [health, desired, hosts] = await Promise.all([client.health(), client.get<DesiredState>('/api/desired'), fetchHosts(client)]);
  const summary = summarize(hosts);
  if (values.json) {
    io.out(json({ dashboard: settings.httpBase, health, desired, hosts: summary }));
  } else {
    io.out(
      table([
        ['dashboard', `${settings.httpBase}: ${healthText(health)}`],
        ['desired', desiredText(desired)],
        ['hosts', summaryText(summary)],
      ]),
    );
  }
  return health.status === 'ok' ? EXIT_OK : EXIT_FAILED;
}

// nixfleet hosts: the fleet as a table, or the dashboard's JSON for scripts.
import { parseArgs } from 'node:util';
import type { HostsReply } from '../../protocol/http.js';
import type { Host } from '../../protocol/model.js';
import { CONNECTION_OPTIONS, connect, parseOptions, positionals, type CliIo } from '../args.js';
import { EXIT_OK } from '../errors.js';
import { compartmentsText, json, runningText, table, yesNo } from '../format.js';
import { HOSTS_HELP } from '../help.js';
import type { DashboardClient } from '../http-client.js';

export function hasTag(host: Pick<Host, 'tags' | 'agent_tags'>, tag: string): boolean {
  return host.tags.includes(tag) || host.agent_tags.includes(tag);
}

/** Every host, sorted by id (GET /api/hosts). */
export async function fetchHosts(client: DashboardClient): Promise<Host[]> {
  return (await client.get<HostsReply>('/api/hosts')).hosts;
}

export function hostsTable(hosts: readonly Host[]): string {
  const header = ['HOST', 'STATUS', 'CONNECTED', 'AGENT', 'COMPARTMENTS', 'RUNNING'];
  const rows = hosts.map((host) => [host.id, host.status, yesNo(host.connected), host.agent_version || '-', compartmentsText(host), runningText(host)]);
  return table([header, ...rows]);
}

export async function hostsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: given } = parseOptions('hosts', () =>
    parseArgs({ args, allowPositionals: true, options: { ...CONNECTION_OPTIONS, json: { type: 'boolean' }, tag: { type: 'string' } } }),
  );
  if (values.help) {
    io.out(HOSTS_HELP);
    return EXIT_OK;
  }
  positionals('hosts', given, []);
  const { client } = connect(io, values);
  const tag = values.tag;
  const hosts = (await fetchHosts(client)).filter((host) => tag === undefined || hasTag(host, tag));
  if (values.json) io.out(json(hosts));
  else if (hosts.length === 0) io.out(tag === undefined ? 'no hosts yet' : `no host has the tag ${tag}`);
  else io.out(hostsTable(hosts));
  return EXIT_OK;
}

// A host's record: what it is before its agent said anything, and which of the agent's fields are
// taken from register and from heartbeats (and how: a field left out keeps its value).
import type { HostRecord } from '../store/store.js';

/** Assumed when an agent does not say how often it sends heartbeats. */
export const DEFAULT_HEARTBEAT_INTERVAL_S = 30;

/** A host the dashboard knows nothing about yet but its name. */
export function newHostRecord(hostname: string): HostRecord {
  return {
    id: hostname,
    hostname,
    host_type: 'nixos',
    status: 'online',
    last_seen: null,
    agent_version: '',
    os_version: '',
    nixpkgs_version: '',
    generation: '',
    metrics: null,
    update_status: null,
    theme_color: '',
    location: '',
    device_type: '',
    protocol_version: 0,
    heartbeat_interval_s: DEFAULT_HEARTBEAT_INTERVAL_S,
    repo_url: '',
    repo_dir: '',
    lock_hash: '',
    source_commit: '',
    store_path: '',
    binary_hash: '',
    pending_command: null,
    command_pid: null,
    repo_commit: '',
    system_commit: '',
    compartments: null,
    last_activation: null,
    last_test: null,
    tags: [],
    agent_tags: [],
    shared_token: false,
  };
}

/** Copies the fields an agent sent; a field it left out (or sent as null) keeps its last value. */
export function assignReported<K extends keyof HostRecord>(record: HostRecord, payload: Partial<Record<K, unknown>>, keys: readonly K[]): void {
  for (const key of keys) {
    const value = payload[key];
    if (value !== undefined && value !== null) record[key] = value as HostRecord[K];
  }
}

/**
 * What an admin may set when creating a host. An agent that reports them empty (not configured on
 * the host, as old agents do) leaves the admin's values in place.
 */
const ADMIN_FIELDS: ReadonlySet<keyof HostRecord> = new Set(['location', 'device_type', 'theme_color']);

export function withoutEmptyAdminFields<T extends object>(payload: T): T {
  const out = { ...payload } as Record<string, unknown>;
  for (const key of ADMIN_FIELDS) if (out[key] === '') delete out[key];
  return out as T;
}

export const REGISTER_FIELDS = [
  'host_type',
  'agent_version',
  'os_version',
  'nixpkgs_version',
  'generation',
  'theme_color',
  'location',
  'device_type',
  'repo_url',
  'repo_dir',
  'source_commit',
  'store_path',
  'binary_hash',
  'repo_commit',
  'system_commit',
  'lock_hash',
] as const;

export const HEARTBEAT_FIELDS = [
  'generation',
  'nixpkgs_version',
  'metrics',
  'update_status',
  'lock_hash',
  'agent_version',
  'os_version',
  'source_commit',
  'store_path',
  'binary_hash',
  'repo_commit',
  'system_commit',
] as const;

/** What a heartbeat reports besides its metrics: a change in any of them is written at the next tick. */
export const HEARTBEAT_FIELDS_KEPT = HEARTBEAT_FIELDS.filter((key) => key !== 'metrics');

/** Whether assignReported would change any of `keys` (objects compared by their JSON). */
export function reportsChange<K extends keyof HostRecord>(record: HostRecord, payload: Partial<Record<K, unknown>>, keys: readonly K[]): boolean {
  for (const key of keys) {
    const value = payload[key];
    if (value === undefined || value === null) continue;
    const current: unknown = record[key];
    if (value === current) continue;
    if (typeof value !== 'object' || typeof current !== 'object' || JSON.stringify(value) !== JSON.stringify(current)) return true;
  }
  return false;
}

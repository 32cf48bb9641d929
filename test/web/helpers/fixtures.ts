// Wire records for the tests of the page's stores, as the dashboard sends them.
import type { Command, Compartment, CompartmentStatus, Compartments, DesiredState, Host } from '../../../src/protocol/model.js';
import type { Rollout, RolloutHost, StepState } from '../../../src/protocol/rollout.js';

export function compartment(status: CompartmentStatus, message = '', since: string | null = '2026-11-26T10:00:00.000Z'): Compartment {
  return { status, message, since };
}

/** Every compartment `ok` unless named. */
export function compartments(statuses: Partial<Record<keyof Compartments, CompartmentStatus>> = {}): Compartments {
  return {
    agent: compartment(statuses.agent ?? 'ok'),
    git: compartment(statuses.git ?? 'ok'),
    lock: compartment(statuses.lock ?? 'ok'),
    system: compartment(statuses.system ?? 'ok'),
    tests: compartment(statuses.tests ?? 'ok'),
  };
}

export function host(id: string, extra: Partial<Host> = {}): Host {
  return {
    id,
    hostname: id,
    host_type: 'nixos',
    status: 'online',
    connected: true,
    last_seen: '2026-11-26T10:00:00.000Z',
    agent_version: '2.1.0',
    os_version: 'NixOS 25.05',
    nixpkgs_version: '25.05',
    generation: 'abc1234',
    metrics: null,
    update_status: null,
    theme_color: '#3366cc',
    location: '',
    device_type: 'server',
    running_command: null,
    protocol_version: 1,
    repo_commit: '',
    system_commit: '',
    lock_hash: '',
    compartments: compartments(),
    agent_conflict: false,
    tags: [],
    agent_tags: [],
    shared_token: false,
    ...extra,
  };
}

export function command(id: string, hostId: string, createdAt: string, status: Command['status'] = 'running', name = 'switch'): Command {
  return {
    id,
    host_id: hostId,
    command: name,
    status,
    exit_code: null,
    message: '',
    created_at: createdAt,
    started_at: status === 'queued' ? null : createdAt,
    finished_at: null,
    output_lines: 0,
    expires_at: status === 'queued' ? '2026-11-27T10:00:00.000Z' : null,
  };
}

export function desired(extra: Partial<DesiredState> = {}): DesiredState {
  return {
    source: 'git',
    commit: '0123456789abcdef0123456789abcdef01234567',
    branch: 'main',
    lock_hash: 'f'.repeat(64),
    committed_at: '2026-11-26T09:00:00.000Z',
    subject: 'hosts: enable backups',
    checked_at: '2026-11-26T10:00:00.000Z',
    error: null,
    ...extra,
  };
}

/** A rollout host whose steps have these states (`pull`, `switch`, `test` unless named otherwise). */
export function rolloutHost(hostId: string, state: StepState, steps: StepState[] = [], extra: Partial<RolloutHost> = {}): RolloutHost {
  const commands = ['pull', 'switch', 'test'];
  return {
    host_id: hostId,
    canary: false,
    state,
    steps: commands.map((command, i) => {
      const stepState = steps[i] ?? 'pending';
      return { command, state: stepState, command_id: stepState === 'pending' || stepState === 'skipped' ? null : `${hostId}-${command}`, message: '' };
    }),
    rollback: null,
    ...extra,
  };
}

export function rollout(id: string, extra: Partial<Rollout> = {}): Rollout {
  return {
    id,
    status: 'running',
    steps: ['pull', 'switch', 'test'],
    preset: 'deploy',
    target: '3 hosts',
    strategy: { canary: [], batch_size: 5, max_failures: 0, rollback_on_failure: false, offline: 'skip' },
    hosts: [],
    failures: 0,
    created_by: 'admin at 127.0.0.1',
    created_at: '2026-11-26T10:00:00.000Z',
    started_at: '2026-11-26T10:00:00.000Z',
    finished_at: null,
    message: '',
    revision: 1,
    ...extra,
  };
}

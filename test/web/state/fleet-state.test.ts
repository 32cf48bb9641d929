// FleetState applies the dashboard's versioned changes in order, ignores what it already has, and
// reports a skipped version instead of patching over it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command, Host } from '../../../src/protocol/model.js';
import { FleetState } from '../../../src/web/state/fleet-state.js';

function host(id: string, extra: Partial<Host> = {}): Host {
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
    ...extra,
  };
}

function command(id: string, hostId: string, createdAt: string, status: Command['status'] = 'running'): Command {
  return {
    id,
    host_id: hostId,
    command: 'switch',
    status,
    exit_code: null,
    message: '',
    created_at: createdAt,
    started_at: createdAt,
    finished_at: null,
    output_lines: 0,
  };
}

test('changes apply only in version order: a repeat is stale, a skipped version is a gap', () => {
  const fleet = new FleetState();
  assert.equal(fleet.apply({ type: 'host_update', payload: { host: host('a') }, version: 1 }), 'stale', 'nothing applies before init');
  fleet.reset({ hosts: [host('a')], commands: [], version: 10 });
  assert.equal(fleet.apply({ type: 'host_update', payload: { host: host('a', { generation: 'new' }) }, version: 11 }), 'applied');
  assert.equal(fleet.hosts.get('a')?.generation, 'new');
  assert.equal(fleet.apply({ type: 'host_update', payload: { host: host('a', { generation: 'old' }) }, version: 11 }), 'stale');
  assert.equal(fleet.hosts.get('a')?.generation, 'new');
  assert.equal(fleet.apply({ type: 'host_removed', payload: { host_id: 'a' }, version: 13 }), 'gap');
  assert.equal(fleet.hasState, false, 'after a gap nothing applies until the next init');
  assert.equal(fleet.apply({ type: 'host_removed', payload: { host_id: 'a' }, version: 14 }), 'stale');
  assert.ok(fleet.hosts.has('a'));
});

test('a new init keeps the objects of hosts that did not change, so their rows are not drawn again', () => {
  const fleet = new FleetState();
  fleet.reset({ hosts: [host('a'), host('b')], commands: [], version: 1 });
  const a = fleet.hosts.get('a');
  const b = fleet.hosts.get('b');
  fleet.reset({ hosts: [host('a'), host('b', { connected: false })], commands: [], version: 5 });
  assert.equal(fleet.hosts.get('a'), a);
  assert.notEqual(fleet.hosts.get('b'), b);
  assert.equal(fleet.currentVersion, 5);
});

test("each host's latest command is its newest one, whatever order updates arrive in", () => {
  const fleet = new FleetState();
  const older = command('c1', 'a', '2026-11-26T10:00:00.000Z', 'succeeded');
  const newer = command('c2', 'a', '2026-11-26T11:00:00.000Z');
  fleet.reset({ hosts: [host('a')], commands: [newer, older], version: 1 });
  assert.equal(fleet.latestCommandOf('a')?.id, 'c2');
  fleet.apply({ type: 'command_update', payload: { command: { ...older, message: 'late' } }, version: 2 });
  assert.equal(fleet.latestCommandOf('a')?.id, 'c2');
  fleet.apply({ type: 'command_update', payload: { command: { ...newer, status: 'succeeded' } }, version: 3 });
  assert.equal(fleet.latestCommandOf('a')?.status, 'succeeded');
});

test('progress is forgotten once the host runs nothing', () => {
  const fleet = new FleetState();
  fleet.reset({ hosts: [host('a', { running_command: command('c1', 'a', '2026-11-26T10:00:00.000Z') })], commands: [], version: 1 });
  fleet.setOperationProgress('a', { system: { current: 3, total: 10, status: 'running' } });
  assert.equal(fleet.progress.get('a')?.operation?.system?.current, 3);
  fleet.apply({ type: 'host_update', payload: { host: host('a') }, version: 2 });
  assert.equal(fleet.progress.has('a'), false);
});

// What the simulated agents of the restart storm take from this repository's agent: its reconnect
// policy and when its first heartbeat after a register goes (imported, so the two cannot drift), its
// time limits, and a register and heartbeat of the size it sends them (every field a configured NixOS
// host reports).
import { backoffDelayMs, DEFAULT_RECONNECT_POLICY } from '../src/agent/connection/backoff.js';
export { firstHeartbeatDelayMs } from '../src/agent/heartbeat.js';
import type { HeartbeatPayload, RegisterPayload, RunningCommand } from '../src/protocol/agent.js';

/** src/agent/connection/connection.ts: an upgrade not completed within this is given up. */
export const AGENT_HANDSHAKE_TIMEOUT_MS = 15_000;
/** src/agent/agent.ts: a socket whose `register` is not answered within this is dropped. */
export const AGENT_REGISTER_TIMEOUT_MS = 15_000;

/** The wait before reconnect attempt `attempt` (0 after a healthy connection was lost): 1 s, doubling, full jitter. */
export function agentReconnectDelayMs(attempt: number): number {
  return backoffDelayMs(attempt, DEFAULT_RECONNECT_POLICY);
}

const hex = (seed: string, length: number) => Buffer.from(seed.repeat(Math.ceil(length / seed.length / 2))).toString('hex').slice(0, length);
const REPO_COMMIT = hex('repo', 40);
const SYSTEM_COMMIT = hex('syst', 40);
const LOCK_HASH = hex('lock', 64);
const OS_VERSION = 'NixOS 25.05 (Warbler)';
const NIXPKGS_VERSION = '25.05.20250601.1a2b3c4';
const AGENT_VERSION = 'bench';

/** `register` as the agent sends it (src/agent/register.ts). */
export function realRegister(hostname: string, heartbeatIntervalS: number, running: RunningCommand | null): RegisterPayload {
  return {
    hostname,
    host_type: 'nixos',
    agent_version: AGENT_VERSION,
    os_version: OS_VERSION,
    nixpkgs_version: NIXPKGS_VERSION,
    generation: 'g0',
    theme_color: null,
    heartbeat_interval: heartbeatIntervalS,
    location: null,
    tags: ['bench', 'storm'],
    device_type: null,
    repo_url: null,
    repo_dir: '/etc/nixos',
    store_path: `/nix/store/${hex(hostname, 32)}-nixos-system-${hostname}-25.05`,
    repo_commit: REPO_COMMIT,
    system_commit: SYSTEM_COMMIT,
    lock_hash: LOCK_HASH,
    protocol_version: 1,
    running,
  };
}

/**
 * A heartbeat as the agent sends it (src/agent/heartbeat.ts) between two refreshes of its facts: only
 * its metrics differ from the one before. The send time, which browsers time it by, rides in
 * `metrics.load`; `checkedAt` is when the agent last checked its facts.
 */
export function realHeartbeat(sentAt: number, pendingCommand: string | null, checkedAt: string): HeartbeatPayload {
  const ok = { status: 'ok', message: 'up to date', checked_at: checkedAt };
  return {
    generation: 'g0',
    nixpkgs_version: NIXPKGS_VERSION,
    pending_command: pendingCommand,
    command_pid: null,
    metrics: { cpu: 3.5, ram: 41.2, swap: 0, load: sentAt },
    update_status: { git: ok, lock: ok, system: ok, tests: null },
    repo_commit: REPO_COMMIT,
    system_commit: SYSTEM_COMMIT,
    lock_hash: LOCK_HASH,
    agent_version: AGENT_VERSION,
    os_version: OS_VERSION,
  };
}

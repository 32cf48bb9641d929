// What the agent says of itself in `register`, the first frame on every connection. The running agent
// and --check build it here alike, so the dashboard answers a check as it would answer the agent.
import { PROTOCOL_VERSION } from '../protocol/constants.js';
import type { RegisterPayload, RunningCommand } from '../protocol/agent.js';
import type { AgentConfig } from './config.js';
import type { RepoFacts } from './host/repo-facts.js';
import type { SystemFacts } from './host/system-facts.js';
import { AGENT_VERSION } from './version.js';

export interface RegisterSources {
  config: AgentConfig;
  repo: RepoFacts;
  system: SystemFacts;
  /** The commit the running system was switched from ('' when not known). */
  systemCommit: string;
  /** The command this agent still runs (v1 names it, so the dashboard does not give it up). */
  running: RunningCommand | null;
}

export function buildRegister({ config, repo, system, systemCommit, running }: RegisterSources): RegisterPayload {
  return {
    hostname: config.hostname,
    host_type: config.hostType,
    agent_version: AGENT_VERSION,
    os_version: system.osVersion,
    nixpkgs_version: repo.nixpkgsVersion(),
    generation: repo.generation(),
    theme_color: config.themeColor,
    heartbeat_interval: config.heartbeatIntervalS,
    location: config.location,
    tags: config.tags,
    device_type: config.deviceType,
    repo_url: config.repoUrl,
    repo_dir: config.repoDir,
    store_path: system.storePath,
    repo_commit: repo.commit(),
    system_commit: systemCommit,
    lock_hash: repo.lockHash(),
    protocol_version: PROTOCOL_VERSION,
    running,
  };
}

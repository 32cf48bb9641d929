// How a step becomes a process, the same for a command and for the background refresher: root's
// steps behind the privilege prefix, the repository as working directory, and an environment in
// which git never waits for a password nobody will type and uses the configured deploy key.
import type { AgentConfig } from '../config.js';
import type { ProcessSpec } from '../executor/process-group.js';
import type { StepSpec } from './context.js';

export function processSpecOf(config: AgentConfig, step: StepSpec): ProcessSpec {
  const argv = step.privileged ? [...config.privilegePrefix, ...step.argv] : [...step.argv];
  return { argv, cwd: step.cwd ?? config.repoDir, env: { ...process.env, ...gitEnv(config), ...step.env } };
}

function gitEnv(config: AgentConfig): Record<string, string> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  if (config.sshKey) {
    const quoted = `'${config.sshKey.replaceAll("'", "'\\''")}'`;
    env.GIT_SSH_COMMAND = `ssh -i ${quoted} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new`;
  }
  return env;
}

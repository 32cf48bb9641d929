// The commands an admin can run from the table, and which of them interrupt a host enough to need a
// confirmation first.
import type { CommandName } from '../../protocol/constants.js';

export interface HostAction {
  command: CommandName;
  label: string;
  /** What the command disrupts, said in the confirmation; null when it runs without asking. */
  disrupts: string | null;
  /** Whether its output is worth a tab (stop is a signal with no output of its own). */
  opensOutput: boolean;
}

/** In menu order: the everyday commands, the checks, then the ones that take the host or agent away. */
export const HOST_ACTIONS: readonly HostAction[] = [
  { command: 'pull', label: 'Pull', disrupts: null, opensOutput: true },
  { command: 'switch', label: 'Switch', disrupts: 'It activates the configuration the host has now.', opensOutput: true },
  {
    command: 'pull-switch',
    label: 'Pull + Switch',
    disrupts: 'It pulls the latest configuration and activates it.',
    opensOutput: true,
  },
  { command: 'test', label: 'Test', disrupts: null, opensOutput: true },
  { command: 'refresh-all', label: 'Refresh checks', disrupts: null, opensOutput: true },
  { command: 'check-version', label: 'Check version', disrupts: null, opensOutput: true },
  {
    command: 'update',
    label: 'Update flake',
    disrupts: 'It runs nix flake update on the host: its flake.lock then differs from the fleet repository’s until the next pull.',
    opensOutput: true,
  },
  { command: 'stop', label: 'Stop', disrupts: 'It kills the command the host is running.', opensOutput: false },
  { command: 'rollback', label: 'Rollback', disrupts: 'It activates the previous generation.', opensOutput: true },
  {
    command: 'restart',
    label: 'Restart agent',
    disrupts: 'The agent restarts and the host reconnects shortly after.',
    opensOutput: true,
  },
  {
    command: 'reboot',
    label: 'Reboot',
    disrupts: 'The host restarts: everything it runs stops, and it is offline until it is back up.',
    opensOutput: true,
  },
];

export function hostAction(command: CommandName): HostAction {
  const action = HOST_ACTIONS.find((a) => a.command === command);
  if (!action) throw new Error(`no host action for ${command}`);
  return action;
}

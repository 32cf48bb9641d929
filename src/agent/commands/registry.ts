// Which definition runs each command. `stop`, `restart` and `reboot` are not here: they act on the
// agent itself and always go through, so the command desk handles them.
import type { CommandName } from '../../protocol/constants.js';
import type { CommandDefinition } from './context.js';
import { pull } from './git.js';
import { forceUpdate, pullSwitch, rollback, switchCommand } from './system.js';
import { test } from './tests.js';
import { update } from './update.js';
import { checkVersion, refreshAll, refreshGit, refreshLock, refreshSystem } from './refresh.js';

export type JobName = Exclude<CommandName, 'stop' | 'restart' | 'reboot'>;

export const COMMANDS: Readonly<Record<JobName, CommandDefinition>> = {
  pull,
  switch: switchCommand,
  'pull-switch': pullSwitch,
  test,
  rollback,
  update,
  'refresh-git': refreshGit,
  'refresh-lock': refreshLock,
  'refresh-system': refreshSystem,
  'refresh-all': refreshAll,
  'check-version': checkVersion,
  'force-update': forceUpdate,
};

export function definitionOf(name: string): CommandDefinition | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name as JobName] : undefined;
}

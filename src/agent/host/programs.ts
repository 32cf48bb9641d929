// Which programs the agent's commands start, and whether the service's PATH has them. The agent
// starts without them (a host may get nix later); --check and the start-up log say what is missing.
import fs from 'node:fs';
import path from 'node:path';
import type { HostType } from '../../protocol/model.js';

/** The program, and what fails without it, in an admin's words. */
export interface NeededProgram {
  program: string;
  neededFor: string;
}

const NEEDED: Record<HostType, readonly NeededProgram[]> = {
  nixos: [
    { program: 'git', neededFor: 'pull and the git check' },
    { program: 'nix', neededFor: 'update and the system check' },
    { program: 'nixos-rebuild', neededFor: 'switch and rollback' },
  ],
  macos: [
    { program: 'git', neededFor: 'pull and the git check' },
    { program: 'nix', neededFor: 'update' },
    { program: 'home-manager', neededFor: 'switch' },
  ],
};

/** What the commands of this host type run, with the privilege prefix (sudo) when there is one. */
export function neededPrograms(hostType: HostType, privilegePrefix: readonly string[]): NeededProgram[] {
  const prefix = privilegePrefix[0];
  const privileged = prefix ? [{ program: prefix, neededFor: `switch, rollback and reboot as root (NIXFLEET_SUDO)` }] : [];
  return [...NEEDED[hostType], ...privileged];
}

/** The executable `program` resolves to on `searchPath` (a PATH value), or null. */
export function findProgram(searchPath: string, program: string): string | null {
  if (program.includes('/')) return isExecutableFile(program) ? program : null;
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

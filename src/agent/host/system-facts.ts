// What the agent says about itself and its system in `register`: read once at start.
import fs from 'node:fs';
import os from 'node:os';
import { spawnSync } from 'node:child_process';

/** sw_vers answers at once; a hung one must not hold up the agent's start. */
const SW_VERS_TIMEOUT_MS = 2_000;

export interface SystemFacts {
  osVersion: string;
  /** Where the running agent lives; under Nix a store path, which tells the dashboard which build runs. */
  storePath: string | null;
}

function linuxOsVersion(): string | null {
  try {
    const release = fs.readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1];
    return pretty ?? null;
  } catch {
    return null;
  }
}

function macOsVersion(): string | null {
  const result = spawnSync('sw_vers', ['-productVersion'], { encoding: 'utf8', timeout: SW_VERS_TIMEOUT_MS });
  const version = result.status === 0 ? result.stdout.trim() : '';
  return version ? `macOS ${version}` : null;
}

function ownStorePath(): string | null {
  const entry = process.argv[1];
  if (!entry) return null;
  try {
    return fs.realpathSync(entry);
  } catch {
    return null;
  }
}

export function readSystemFacts(): SystemFacts {
  const fromSystem = process.platform === 'darwin' ? macOsVersion() : process.platform === 'linux' ? linuxOsVersion() : null;
  return { osVersion: fromSystem ?? `${os.type()} ${os.release()}`, storePath: ownStorePath() };
}

// A real fleet repository for the browser tests: a bare "origin" (its path is what the dashboard's
// NIXFLEET_REPO_URL names) and a work clone that commits and pushes to it, driven by the git CLI.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../helpers/dashboard.js';

export const FLEET_BRANCH = 'main';

export interface FleetCommit {
  /** Full hash. */
  commit: string;
  subject: string;
  /** SHA-256 (hex) of flake.lock at this commit, as agents report it. */
  lockHash: string;
}

export interface FleetRepo {
  /** The bare repository: the dashboard's NIXFLEET_REPO_URL. */
  url: string;
  /** Commits flake.lock with `lock` (the same again makes a commit that changes nothing else) and pushes it. */
  commit(subject: string, lock: string): FleetCommit;
  remove(): void;
}

/** Without the user's or the system's git configuration, so the tests run the same everywhere. */
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Fleet Admin',
  GIT_AUTHOR_EMAIL: 'admin@example.org',
  GIT_COMMITTER_NAME: 'Fleet Admin',
  GIT_COMMITTER_EMAIL: 'admin@example.org',
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function lockHashOf(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

export function createFleetRepo(): FleetRepo {
  const root = tempDir('nixfleet-fleet-repo-');
  const url = path.join(root, 'origin.git');
  const work = path.join(root, 'work');
  git(root, 'init', '--quiet', '--bare', `--initial-branch=${FLEET_BRANCH}`, url);
  git(root, 'init', '--quiet', `--initial-branch=${FLEET_BRANCH}`, work);
  git(work, 'remote', 'add', 'origin', url);
  fs.writeFileSync(path.join(work, 'flake.nix'), '{ outputs = { self }: { }; }\n');
  return {
    url,
    commit(subject, lock) {
      fs.writeFileSync(path.join(work, 'flake.lock'), lock);
      git(work, 'add', '-A');
      git(work, 'commit', '--quiet', '--allow-empty', '-m', subject);
      git(work, 'push', '--quiet', 'origin', `HEAD:${FLEET_BRANCH}`);
      return { commit: git(work, 'rev-parse', 'HEAD'), subject, lockHash: lockHashOf(lock) };
    },
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

// Real git repositories for the agent: a bare origin, the host's clone (what NIXFLEET_REPO_DIR points
// to), and an admin's clone that pushes new commits to origin.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const GIT_IDENTITY = ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false'];

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...GIT_IDENTITY, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A flake.lock with a nixpkgs node, as `nix flake lock` writes it. */
export function flakeLock(lastModifiedS: number, rev: string): string {
  return `${JSON.stringify(
    {
      nodes: {
        nixpkgs: { locked: { lastModified: lastModifiedS, narHash: 'sha256-x', owner: 'NixOS', repo: 'nixpkgs', rev, type: 'github' } },
        root: { inputs: { nixpkgs: 'nixpkgs' } },
      },
      root: 'root',
      version: 7,
    },
    null,
    2,
  )}\n`;
}

export const LOCK_REV = '0123456789abcdef0123456789abcdef01234567';
export const LOCK_LAST_MODIFIED_S = 1_735_689_600; // 2025-01-01

export class FleetRepo {
  readonly origin: string;
  /** The host's clone, for NIXFLEET_REPO_DIR. */
  readonly hostClone: string;
  private readonly admin: string;

  constructor(
    root: string,
    readonly hostname: string,
  ) {
    this.origin = path.join(root, 'origin.git');
    this.admin = path.join(root, 'admin');
    this.hostClone = path.join(root, 'host');
    fs.mkdirSync(this.origin, { recursive: true });
    git(this.origin, 'init', '--bare', '--quiet');
    git(root, 'clone', '--quiet', this.origin, this.admin);
    this.commit('initial fleet', {
      'flake.nix': '{ outputs = { self, ... }: { }; }\n',
      'flake.lock': flakeLock(LOCK_LAST_MODIFIED_S, LOCK_REV),
    });
    git(root, 'clone', '--quiet', '--branch', 'main', this.origin, this.hostClone);
  }

  /** Commits `files` (path → content; mode 755 for *.sh) in the admin clone and pushes; returns the full commit. */
  commit(message: string, files: Record<string, string>): string {
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(this.admin, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content, { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
    }
    git(this.admin, 'add', '-A');
    git(this.admin, 'commit', '--quiet', '-m', message);
    git(this.admin, 'push', '--quiet', 'origin', 'HEAD:main');
    return git(this.admin, 'rev-parse', 'HEAD');
  }

  headOf(dir: string): string {
    return git(dir, 'rev-parse', 'HEAD');
  }
}

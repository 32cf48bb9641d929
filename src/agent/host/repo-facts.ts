// What the heartbeat says about the host's configuration: the git commit of the flake repository
// (`repo_commit`, and its short form `generation`), the hash of its flake.lock and the nixpkgs version. Read from files on every
// heartbeat without starting a process, so a heartbeat is never slow, whatever else runs.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';

/** What `git rev-parse --short HEAD` prints by default. */
export const SHORT_COMMIT_LENGTH = 7;
const NIXOS_VERSION_FILE = '/run/current-system/nixos-version';
/** A full commit as git writes it (SHA-1 or SHA-256). */
const FULL_COMMIT = /^[0-9a-f]{40,64}$/;

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The repository's git dir: `.git`, or where a `.git` file (worktree, submodule) points. */
function gitDirOf(repoDir: string): string | null {
  const dotGit = path.join(repoDir, '.git');
  const text = readText(dotGit);
  if (text === null) return fs.existsSync(dotGit) ? dotGit : null;
  const pointer = /^gitdir:\s*(.+)$/m.exec(text)?.[1]?.trim();
  return pointer ? path.resolve(repoDir, pointer) : null;
}

function resolveRef(gitDir: string, ref: string): string | null {
  // A worktree keeps its refs in the common dir.
  const common = readText(path.join(gitDir, 'commondir'))?.trim();
  const dirs = common ? [gitDir, path.resolve(gitDir, common)] : [gitDir];
  for (const dir of dirs) {
    const loose = readText(path.join(dir, ref))?.trim();
    if (loose && FULL_COMMIT.test(loose)) return loose;
    for (const line of (readText(path.join(dir, 'packed-refs')) ?? '').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && sha && FULL_COMMIT.test(sha)) return sha;
    }
  }
  return null;
}

/** Whether `repoDir` is the top of a git work tree (it has a `.git` directory, or a `.git` file that points to one). */
export function isGitRepository(repoDir: string): boolean {
  return gitDirOf(repoDir) !== null;
}

/** The full commit of HEAD, or null when the directory is no repository (yet) or HEAD is unborn. */
export function headCommit(repoDir: string): string | null {
  const gitDir = gitDirOf(repoDir);
  if (!gitDir) return null;
  const head = readText(path.join(gitDir, 'HEAD'))?.trim();
  if (!head) return null;
  const ref = /^ref:\s*(.+)$/.exec(head)?.[1];
  return ref ? resolveRef(gitDir, ref) : FULL_COMMIT.test(head) ? head : null;
}

interface FlakeLock {
  root?: string;
  nodes?: Record<string, { inputs?: Record<string, unknown>; locked?: { lastModified?: number; rev?: string } }>;
}

export class RepoFacts {
  private lockCache: ({ key: string; hash: string } & LockedNixpkgs) | null = null;

  constructor(private readonly repoDir: string) {}

  /** The full commit checked out; empty before the first clone. */
  commit(): string {
    return headCommit(this.repoDir) ?? '';
  }

  generation(): string {
    return this.commit().slice(0, SHORT_COMMIT_LENGTH);
  }

  lockHash(): string {
    return this.readLock()?.hash ?? '';
  }

  /** The running NixOS's version; elsewhere the date and commit of nixpkgs in flake.lock. */
  nixpkgsVersion(): string {
    const running = readText(NIXOS_VERSION_FILE)?.trim();
    return running || (this.readLock()?.nixpkgs ?? '');
  }

  /** When the locked nixpkgs was committed, or null without a flake.lock that says. */
  nixpkgsLockedAt(): Date | null {
    return this.readLock()?.lockedAt ?? null;
  }

  /** flake.lock is read again only when it changed. */
  private readLock(): ({ hash: string } & LockedNixpkgs) | null {
    const file = path.join(this.repoDir, 'flake.lock');
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      return null;
    }
    const key = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    if (this.lockCache?.key === key) return this.lockCache;
    const text = readText(file);
    if (text === null) return null;
    this.lockCache = { key, hash: createHash('sha256').update(text).digest('hex'), ...nixpkgsOfLock(text) };
    return this.lockCache;
  }
}

interface LockedNixpkgs {
  /** `YYYYMMDD.<short rev>`, as in a NixOS version string. */
  nixpkgs: string;
  lockedAt: Date | null;
}

function nixpkgsOfLock(text: string): LockedNixpkgs {
  try {
    const lock = JSON.parse(text) as FlakeLock;
    const rootInputs = lock.nodes?.[lock.root ?? 'root']?.inputs ?? {};
    const name = typeof rootInputs.nixpkgs === 'string' ? rootInputs.nixpkgs : 'nixpkgs';
    const locked = lock.nodes?.[name]?.locked;
    if (!locked?.lastModified) return { nixpkgs: '', lockedAt: null };
    const lockedAt = new Date(locked.lastModified * 1000);
    const date = lockedAt.toISOString().slice(0, 10).replaceAll('-', '');
    return { nixpkgs: locked.rev ? `${date}.${locked.rev.slice(0, SHORT_COMMIT_LENGTH)}` : date, lockedAt };
  } catch {
    return { nixpkgs: '', lockedAt: null };
  }
}

// The fleet repository's bare mirror in the data dir. Each read fetches the one branch we follow (with
// its whole history: how far behind a host is needs it) and reads the head from the mirror: commit,
// committer time, subject and the hash of flake.lock. The mirror itself is the memory across restarts.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { GitError, gitEnv, runGit } from './git.js';
import { redactUrlCredentials, type DesiredHead, type DesiredSource } from './source.js';

/** The flake's lock file, at the repository's root as in every NixFleet repository. */
const LOCK_FILE = 'flake.lock';
/** A subject longer than this is cut: it is sent to every browser with the desired state. */
const SUBJECT_MAX_CHARS = 500;

export interface GitMirrorSettings {
  /** The bare repository's directory, created on first use. */
  dir: string;
  url: string;
  branch: string;
  sshKeyPath: string | undefined;
}

export class GitMirror implements DesiredSource {
  readonly kind = 'git';
  private readonly env: NodeJS.ProcessEnv;
  private readonly ref: string;
  private readsStarted = 0;
  /** Whether this process has cleared what an earlier one left mid-fetch. */
  private tidied = false;
  /** flake.lock rarely changes between heads: its hash is kept by blob id. */
  private lastLock: { blob: string; hash: string } | null = null;

  constructor(private readonly settings: GitMirrorSettings) {
    this.env = gitEnv(settings.sshKeyPath);
    this.ref = `refs/heads/${settings.branch}`;
  }

  get reads(): number {
    return this.readsStarted;
  }

  get location(): string {
    return redactUrlCredentials(this.settings.url);
  }

  async lastKnown(): Promise<DesiredHead | null> {
    if (!this.exists()) return null;
    const commit = await this.resolve(`${this.ref}^{commit}`);
    return commit ? this.describe(commit) : null;
  }

  async read(signal: AbortSignal): Promise<DesiredHead> {
    this.readsStarted += 1;
    await this.ensure(signal);
    if (!this.tidied) {
      this.leftoversRemoved();
      this.tidied = true;
    }
    // `--` ends the options: the URL is never read as one, whatever it looks like.
    await this.git(['fetch', '--quiet', '--prune', '--no-tags', '--', this.settings.url, `+${this.ref}:${this.ref}`], signal);
    const commit = await this.resolve(`${this.ref}^{commit}`, signal);
    if (!commit) throw new GitError('git_failed', `branch ${this.settings.branch} is not in the mirror after fetching it`);
    return this.describe(commit, signal);
  }

  async commitsBehind(commit: string, desired: string, signal: AbortSignal): Promise<number | null> {
    const full = await this.resolve(`${commit}^{commit}`, signal);
    if (!full) return null;
    if (full === desired) return 0;
    const ancestor = await this.git(['merge-base', '--is-ancestor', full, desired], signal, [1]);
    if (ancestor.exitCode !== 0) return null;
    const count = await this.git(['rev-list', '--count', `${full}..${desired}`], signal);
    const behind = Number(count.stdout.toString('utf8').trim());
    return Number.isInteger(behind) && behind >= 0 ? behind : null;
  }

  /**
   * A dashboard killed during a fetch leaves git's lock files (`refs/heads/main.lock`: every later
   * fetch fails on it) and partial packs (disk that is never given back). Only this process uses the
   * mirror (the data dir is locked) and it has not fetched yet, so whatever is there is left over.
   */
  private leftoversRemoved(): void {
    const gone: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'objects' || dir !== this.settings.dir) walk(full);
        } else if (entry.name.endsWith('.lock')) gone.push(full);
      }
    };
    walk(this.settings.dir);
    const packs = path.join(this.settings.dir, 'objects', 'pack');
    if (fs.existsSync(packs)) for (const name of fs.readdirSync(packs)) if (name.startsWith('tmp_')) gone.push(path.join(packs, name));
    for (const file of gone) fs.rmSync(file, { force: true });
  }

  private exists(): boolean {
    return fs.existsSync(path.join(this.settings.dir, 'HEAD'));
  }

  private async ensure(signal: AbortSignal): Promise<void> {
    if (this.exists()) return;
    fs.mkdirSync(path.dirname(this.settings.dir), { recursive: true });
    await runGit(['init', '--quiet', '--bare', '--', this.settings.dir], { env: this.env, signal });
  }

  /** The full id `revision` names in the mirror, or null when it names nothing (or is ambiguous). */
  private async resolve(revision: string, signal?: AbortSignal): Promise<string | null> {
    const out = await this.git(['rev-parse', '--verify', '--quiet', revision], signal, [1]);
    const id = out.stdout.toString('utf8').trim();
    return out.exitCode === 0 && id !== '' ? id : null;
  }

  private async describe(commit: string, signal?: AbortSignal): Promise<DesiredHead> {
    const out = await this.git(['log', '-1', '--format=%ct%x00%s', commit, '--'], signal);
    const [seconds = '', ...subject] = out.stdout.toString('utf8').replace(/\n$/, '').split('\0');
    const committedSeconds = Number(seconds);
    return {
      commit,
      lock_hash: await this.lockHash(commit, signal),
      committed_at: Number.isFinite(committedSeconds) && seconds !== '' ? new Date(committedSeconds * 1000).toISOString() : null,
      subject: subject.join(' ').slice(0, SUBJECT_MAX_CHARS),
    };
  }

  /** SHA-256 (hex) of flake.lock's bytes at `commit`, as the agent hashes its checkout's; empty without one. */
  private async lockHash(commit: string, signal?: AbortSignal): Promise<string> {
    const entry = await this.git(['ls-tree', '-z', commit, '--', LOCK_FILE], signal);
    // `<mode> <type> <id>\t<path>`. A directory or submodule is no lock file; a symlink's target is
    // not something the mirror can follow, so it counts as none too.
    const [mode = '', type = '', blob = ''] = entry.stdout.toString('utf8').split(/[ \t]/);
    if (type !== 'blob' || mode === '120000' || blob === '') return '';
    if (this.lastLock?.blob === blob) return this.lastLock.hash;
    const content = await this.git(['cat-file', 'blob', blob], signal);
    const hash = createHash('sha256').update(content.stdout).digest('hex');
    this.lastLock = { blob, hash };
    return hash;
  }

  private git(args: readonly string[], signal: AbortSignal | undefined, answerCodes?: readonly number[]) {
    // The mirror is named, never discovered: a data dir inside another repository must not reach it.
    return runGit([`--git-dir=${this.settings.dir}`, ...args], { env: this.env, signal, answerCodes });
  }
}

// A real fleet repository for the desired-state tests: a bare origin (reached by file path, as any URL
// git understands) and a work clone that commits and pushes to it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

/** Commits of the fixture are made by nobody in particular, on any machine's git config. */
const GIT_IDENTITY = ['-c', 'user.name=NixFleet Test', '-c', 'user.email=test@nixfleet.invalid', '-c', 'commit.gpgsign=false'];

export interface FleetRepo {
  /** A scratch dir: origin.git, work/ and data/ (the dashboard's data dir) live in it. */
  root: string;
  originUrl: string;
  work: string;
  dataDir: string;
  /** Writes `files` in the work clone, commits them with `subject`, pushes, and answers the commit. */
  commit(subject: string, files?: Record<string, string>, branch?: string): string;
  /** Runs git in the work clone and answers its output, trimmed. */
  git(...args: string[]): string;
  remove(): void;
}

export function sha256Hex(bytes: string | Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function createFleetRepo(): FleetRepo {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nixfleet-desired-'));
  const origin = path.join(root, 'origin.git');
  const work = path.join(root, 'work');
  const run = (cwd: string, args: string[]) => execFileSync('git', [...GIT_IDENTITY, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  run(root, ['init', '--quiet', '--bare', '--initial-branch=main', origin]);
  run(root, ['init', '--quiet', '--initial-branch=main', work]);
  let tick = 0;
  return {
    root,
    originUrl: origin,
    work,
    dataDir: path.join(root, 'data'),
    commit(subject, files = {}, branch = 'main') {
      for (const [name, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(work, name)), { recursive: true });
        fs.writeFileSync(path.join(work, name), content);
      }
      run(work, ['add', '--all']);
      // Distinct, known committer times: one a minute from a fixed start.
      tick += 1;
      const date = `${1_700_000_000 + tick * 60} +0000`;
      execFileSync('git', [...GIT_IDENTITY, 'commit', '--quiet', '--allow-empty', '-m', subject], {
        cwd: work,
        env: { ...process.env, GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date },
      });
      run(work, ['push', '--quiet', '--force', origin, `HEAD:refs/heads/${branch}`]);
      return run(work, ['rev-parse', 'HEAD']);
    },
    git: (...args) => run(work, args),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * Cleanups that run last-registered first, once the test ends: a tracker must stop before the
 * repository its git works in is removed (node:test runs t.after hooks in registration order).
 */
export function deferrals(t: TestContext): (cleanup: () => unknown) => void {
  const cleanups: (() => unknown)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}

// `pull`: bring the flake repository to the head of its branch.
//
// Isolated mode (NIXFLEET_REPO_URL): the clone belongs to the agent, so it is made to match the remote
// exactly: fetch, reset --hard, clean -fd; local edits do not survive. Otherwise the repository is the
// admin's: a fast-forward `git pull`, which refuses rather than merge or discard anything.
import fs from 'node:fs';
import path from 'node:path';
import { describeEnd, failed, ok, succeeded, type CommandContext, type CommandDefinition, type CommandOutcome, type StepSpec } from './context.js';

/** `git -C <repo> <args>`, named by its subcommand for messages. */
const git = (repoDir: string, ...args: string[]) => ({ name: `git ${args[0] ?? ''}`, step: { argv: ['git', '-C', repoDir, ...args] } });

function steps(ctx: CommandContext): { name: string; step: StepSpec }[] {
  const { repoUrl, repoDir, branch } = ctx.config;
  if (!repoUrl) return [git(repoDir, 'pull', '--ff-only')];
  if (!fs.existsSync(path.join(repoDir, '.git'))) {
    fs.mkdirSync(path.dirname(repoDir), { recursive: true });
    const argv = ['git', 'clone', '--branch', branch, '--', repoUrl, repoDir];
    return [{ name: 'git clone', step: { argv, cwd: path.dirname(repoDir) } }];
  }
  return [git(repoDir, 'fetch', '--prune', 'origin', branch), git(repoDir, 'reset', '--hard', `origin/${branch}`), git(repoDir, 'clean', '-fd')];
}

export async function pullRepository(ctx: CommandContext): Promise<CommandOutcome> {
  const before = ctx.repo.generation();
  const planned = steps(ctx);
  for (const [index, { name, step }] of planned.entries()) {
    ctx.progress({ pull: { current: index, total: planned.length, status: 'running' } });
    const result = await ctx.run(step);
    if (!succeeded(result)) {
      const message = describeEnd(name, result, ctx.lastErrorLine);
      ctx.progress({ pull: { current: index + 1, total: planned.length, status: 'error' } });
      ctx.updates.set('git', 'error', message);
      return failed(message, result.exitCode);
    }
  }
  ctx.progress({ pull: { current: planned.length, total: planned.length, status: 'ok' } });
  const after = ctx.repo.generation();
  const message = before === after ? `already at ${after}` : `moved from ${before || 'nothing'} to ${after}`;
  ctx.updates.set('git', 'ok', `at ${after}`);
  ctx.note(message);
  return ok(message);
}

export const pull: CommandDefinition = { run: pullRepository, rechecks: ['git', 'lock'] };

// Our programs compiled to JavaScript for tests that start many processes: esbuild transpiles every
// source file as it is (no bundling, so sibling modules such as the agent's runner stay where the
// code expects them) in well under a second, and a process then starts without a TypeScript loader.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'web' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * Builds src/ into `<repo>/.test-build/<pid>/dist` (inside the repository, so that packages resolve
 * from its node_modules) with package.json beside it, as in an installed copy; returns the dist dir.
 */
export async function buildPrograms(): Promise<string> {
  const root = path.join(REPO_ROOT, '.test-build', String(process.pid));
  const outdir = path.join(root, 'dist');
  await build({
    entryPoints: sourceFiles(path.join(REPO_ROOT, 'src')),
    outdir,
    outbase: path.join(REPO_ROOT, 'src'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
  });
  fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(root, 'package.json'));
  return outdir;
}

export function removeBuild(distDir: string): void {
  fs.rmSync(path.dirname(distDir), { recursive: true, force: true });
}

// Our programs compiled to JavaScript for tests that start them as processes: esbuild transpiles every
// source file as it is (no bundling, so sibling modules such as the agent's runner stay where the
// code expects them) in well under a second, and a process then starts without a TypeScript loader,
// in a third of the time and CPU that a tsx start takes.
//
// Under scripts/run-tests.mjs these helpers run transpiled themselves, from a copy of the tree in
// which every source file already has its JavaScript beside it: the programs are then taken from there.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, buildSync, type BuildOptions } from 'esbuild';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SRC_DIR = path.join(REPO_ROOT, 'src');
const BUILD_ROOT = path.join(REPO_ROOT, '.test-build');
/** This file runs as JavaScript: so does every source file beside it (see above). */
const TRANSPILED = import.meta.url.endsWith('.js');
/** A shared build nobody started a program from for this long is removed by the next new build. */
const STALE_BUILD_MS = 2 * 60 * 60 * 1000;
const SHARED_PREFIX = 'src-';
const SCRIPTS_DIR = 'scripts';
/** buildPrograms() names its builds by the process id. */
const OWN_BUILD = /^\d+$/;

const TRANSPILE: BuildOptions = { format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent' };

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'web' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** `src/agent/main.ts` → the file that runs it as JavaScript in the transpiled tree. */
function transpiledFile(file: string): string {
  return path.resolve(REPO_ROOT, file).replace(/\.tsx?$/, '.js');
}

/**
 * Builds src/ into `<repo>/.test-build/<pid>/dist` (inside the repository, so that packages resolve
 * from its node_modules) with package.json beside it, as in an installed copy; returns the dist dir.
 */
export async function buildPrograms(): Promise<string> {
  if (TRANSPILED) return SRC_DIR;
  const root = path.join(BUILD_ROOT, String(process.pid));
  const outdir = path.join(root, 'dist');
  await build({ ...TRANSPILE, entryPoints: sourceFiles(SRC_DIR), outdir, outbase: SRC_DIR });
  fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(root, 'package.json'));
  return outdir;
}

/** Removes a build of buildPrograms(); a shared build (sharedBuild()) stays for the other test processes. */
export function removeBuild(distDir: string): void {
  const root = path.dirname(distDir);
  if (path.dirname(root) !== BUILD_ROOT || !OWN_BUILD.test(path.basename(root))) return;
  fs.rmSync(root, { recursive: true, force: true });
}

let shared: string | undefined;

/** What the build is made of: every source file's path and content, and package.json. */
function sourceHash(files: string[]): string {
  const hash = crypto.createHash('sha256');
  for (const file of [...files, path.join(REPO_ROOT, 'package.json')]) {
    hash.update(path.relative(REPO_ROOT, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 20);
}

/**
 * The programs built for the sources as they are now, shared by every test process: built by the
 * first process that needs them into `<repo>/.test-build/src-<hash of src/>/dist`, and reused by the
 * others (a changed source file makes a new build, so a test never runs stale code). Laid out as in
 * an installed copy: package.json beside dist/, and dist/web the repository's own built web client.
 * Returns the dist dir.
 */
export function sharedBuild(): string {
  if (TRANSPILED) return SRC_DIR;
  if (shared) return shared;
  const files = sourceFiles(SRC_DIR).sort();
  const root = path.join(BUILD_ROOT, SHARED_PREFIX + sourceHash(files));
  if (!fs.existsSync(root)) {
    fs.mkdirSync(BUILD_ROOT, { recursive: true });
    // Built aside and renamed into place: a process that finds the directory finds it complete, and
    // of two processes that built at once, the second one's rename fails and it takes the first's.
    const staging = fs.mkdtempSync(path.join(BUILD_ROOT, 'staging-'));
    try {
      buildSync({ ...TRANSPILE, entryPoints: files, outdir: path.join(staging, 'dist'), outbase: SRC_DIR });
      fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(staging, 'package.json'));
      fs.symlinkSync(path.join(REPO_ROOT, 'dist', 'web'), path.join(staging, 'dist', 'web'));
      fs.renameSync(staging, root);
    } catch (err) {
      if (!fs.existsSync(root)) throw err;
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
    removeStaleBuilds(root);
  }
  const now = new Date();
  fs.utimesSync(root, now, now);
  shared = path.join(root, 'dist');
  return shared;
}

function removeStaleBuilds(keep: string): void {
  const scripts = path.join(BUILD_ROOT, SCRIPTS_DIR);
  const candidates = [
    ...fs.readdirSync(BUILD_ROOT).filter((name) => name.startsWith(SHARED_PREFIX) || name.startsWith('staging-')).map((name) => path.join(BUILD_ROOT, name)),
    ...(fs.existsSync(scripts) ? fs.readdirSync(scripts).map((name) => path.join(scripts, name)) : []),
  ];
  for (const entry of candidates) {
    if (entry === keep) continue;
    try {
      if (Date.now() - fs.statSync(entry).mtimeMs > STALE_BUILD_MS) fs.rmSync(entry, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

/** Node arguments that run a built program: `entry` is its source, e.g. `src/agent/main.ts`. */
export function builtArgs(entry: string, ...args: string[]): string[] {
  const relative = path.relative(SRC_DIR, path.resolve(REPO_ROOT, entry));
  if (relative.startsWith('..') || !relative.endsWith('.ts')) throw new Error(`${entry} is not a source file under src/`);
  return [path.join(sharedBuild(), relative.replace(/\.ts$/, '.js')), ...args];
}

/**
 * Node arguments that run a TypeScript script of the tests (such as a support program that a test
 * starts as a process), bundled with the sources it imports into one JavaScript file; packages stay
 * imports. Named by a hash of its content, so a changed script or source is bundled anew.
 */
export function builtScriptArgs(file: string, ...args: string[]): string[] {
  if (TRANSPILED) return [transpiledFile(file), ...args];
  const source = path.resolve(REPO_ROOT, file);
  const result = buildSync({ ...TRANSPILE, entryPoints: [source], bundle: true, packages: 'external', write: false });
  const contents = result.outputFiles[0]?.contents;
  if (!contents) throw new Error(`esbuild produced nothing for ${file}`);
  const hash = crypto.createHash('sha256').update(contents).digest('hex').slice(0, 20);
  const dir = path.join(BUILD_ROOT, SCRIPTS_DIR);
  const out = path.join(dir, `${path.basename(source, '.ts')}-${hash}.mjs`);
  if (fs.existsSync(out)) {
    const now = new Date();
    fs.utimesSync(out, now, now);
  } else {
    fs.mkdirSync(dir, { recursive: true });
    const staging = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(staging, contents);
    fs.renameSync(staging, out);
  }
  return [out, ...args];
}

#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
//
// The tests run transpiled. First esbuild turns every TypeScript file of the repository into
// JavaScript, in a copy of the tree (.test-build/run-<pid>/) whose every other file and folder is a
// link to the repository's own; that takes about a second. A test process then loads plain JavaScript
// instead of compiling through a loader as it goes, and so does every dashboard it starts (its storage
// thread) and every program it runs: about half the CPU per test file, on a machine whose two cores
// the parallel tests keep busy. The types are checked by `npm run typecheck`; stack traces point into
// the TypeScript through source maps. One file still runs from its source as ever:
// node --import tsx --test test/dashboard/login.test.ts
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD_ROOT = join(ROOT, '.test-build');
const MIRROR = join(BUILD_ROOT, `run-${process.pid}`);
const TYPESCRIPT = /\.tsx?$/;
/** Never copied: the repository's history and the test builds themselves. */
const NOT_MIRRORED = new Set(['.git', '.test-build']);
/** Linked whole: installed or generated, with no sources of ours inside. */
const LINKED_WHOLE = new Set(['node_modules', 'dist', 'data', 'test-artifacts', 'scratch']);

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (lstatSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

function hasTypeScript(dir) {
  return readdirSync(dir, { withFileTypes: true }).some((entry) =>
    entry.isDirectory() ? !LINKED_WHOLE.has(entry.name) && hasTypeScript(join(dir, entry.name)) : TYPESCRIPT.test(entry.name),
  );
}

/** Links `dir`'s entries into `out`, descending into folders that hold TypeScript; returns those files. */
function mirror(dir, out) {
  mkdirSync(out, { recursive: true });
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (dir === ROOT && NOT_MIRRORED.has(entry.name)) return [];
    const source = join(dir, entry.name);
    const target = join(out, entry.name);
    if (entry.isDirectory() && !LINKED_WHOLE.has(entry.name) && hasTypeScript(source)) return mirror(source, target);
    // The TypeScript itself is linked too: a program run from its source (with tsx) is found there.
    symlinkSync(source, target);
    return entry.isFile() && TYPESCRIPT.test(entry.name) && !entry.name.endsWith('.d.ts') ? [source] : [];
  });
}

/** Copies of runs that ended without removing theirs (killed): their process is gone. */
function removeAbandonedMirrors() {
  if (!existsSync(BUILD_ROOT)) return;
  for (const name of readdirSync(BUILD_ROOT)) {
    const pid = /^run-(\d+)$/.exec(name)?.[1];
    if (!pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (err) {
      if (err.code === 'ESRCH') rmSync(join(BUILD_ROOT, name), { recursive: true, force: true });
    }
  }
}

const filters = process.argv.slice(2);
const files = find('test')
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

removeAbandonedMirrors();
rmSync(MIRROR, { recursive: true, force: true });
const sources = mirror(ROOT, MIRROR);
// The built web client, also when the tests themselves build it for the first time (dist/web).
if (!existsSync(join(ROOT, 'dist'))) symlinkSync(join(ROOT, 'dist'), join(MIRROR, 'dist'));
buildSync({
  entryPoints: sources,
  outdir: MIRROR,
  outbase: ROOT,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});
const transpiled = (file) => relative(ROOT, join(MIRROR, file.replace(TYPESCRIPT, '.js')));

function run(list, concurrency, timeoutMs) {
  if (list.length === 0) return 0;
  const result = spawnSync(
    process.execPath,
    ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...list.map(transpiled)],
    { stdio: 'inherit' },
  );
  return result.status ?? 1;
}

// Most tests wait on sockets, timers and child processes rather than the CPU, so run a few files at
// once: on two cores four at a time finished a fifth sooner than three, with the same failures.
// Files named *.serial.test.ts measure time or load the whole machine (fifty agents, a package
// install): they run afterwards, alone, and a file of them may take longer.
const parallel = files.filter((file) => !file.endsWith('.serial.test.ts'));
const serial = files.filter((file) => file.endsWith('.serial.test.ts'));
let failed = 1;
try {
  const failedParallel = run(parallel, process.env.TEST_CONCURRENCY ?? '4', 120_000);
  const failedSerial = run(serial, '1', 300_000);
  failed = failedParallel || failedSerial;
} finally {
  rmSync(MIRROR, { recursive: true, force: true });
}
process.exit(failed);

#!/usr/bin/env node
// Bundles the web client (src/web) into dist/web: one minified script and one stylesheet, each named
// by a hash of its content so that the dashboard can let browsers keep them for a year, plus .gz and
// .br copies, and manifest.json, which tells the dashboard (src/dashboard/http/assets.ts) the names.
//
// Usage: node scripts/build-web.mjs
// Builds that run at the same time (parallel test files) write identical files, each atomically.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEB_OUT_DIR = join(ROOT, 'dist', 'web');
const ENTRY_POINTS = { app: 'src/web/main.tsx', style: 'src/web/styles/index.css' };
const MANIFEST = 'manifest.json';
/** Copied as they are, named by their hash like the bundles. */
const STATIC_FILES = { icon: 'src/web/static/icon.svg' };
/** Browsers the client is written for: the popover API and <dialog> are needed. */
const TARGETS = ['chrome114', 'edge114', 'firefox125', 'safari17'];
/**
 * What must never reach the browser: TypeBox (its compiler builds validators with `new Function`,
 * which the CSP forbids, and it is big) and the frame decoder built on it. The client imports only
 * types from src/protocol, plus constants.ts, which has no dependencies.
 */
const FORBIDDEN_INPUTS = [/node_modules\/@sinclair\/typebox\//, /src\/protocol\/frame\.ts$/];

function writeAtomically(path, data) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

/** `icon.svg` → `icon-K3J5QX7A.svg`, in the form of esbuild's names (8 base-32 characters). */
function hashedName(source, contents) {
  const digest = createHash('sha256').update(contents).digest();
  let hash = '';
  for (let i = 0; i < 8; i++) hash += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[(digest[i] ?? 0) % 32];
  const name = basename(source);
  const dot = name.lastIndexOf('.');
  return `${name.slice(0, dot)}-${hash}${name.slice(dot)}`;
}

export async function buildWeb({ outDir = WEB_OUT_DIR, quiet = false } = {}) {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRY_POINTS,
    bundle: true,
    minify: true,
    format: 'esm',
    target: TARGETS,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: 'src/web/tsconfig.json',
    entryNames: '[name]-[hash]',
    outdir: outDir,
    write: false,
    metafile: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
  });

  const forbidden = Object.keys(result.metafile.inputs).filter((input) => FORBIDDEN_INPUTS.some((re) => re.test(input)));
  if (forbidden.length > 0) throw new Error(`the web bundle must not include: ${forbidden.join(', ')}`);

  mkdirSync(outDir, { recursive: true });
  const written = new Set([MANIFEST]);
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    writeAtomically(join(outDir, name), file.contents);
    writeAtomically(join(outDir, `${name}.gz`), gzipSync(file.contents, { level: 9 }));
    writeAtomically(join(outDir, `${name}.br`), brotliCompressSync(file.contents));
    written.add(name).add(`${name}.gz`).add(`${name}.br`);
  }

  const outputOf = (entry, extension) => {
    const found = Object.entries(result.metafile.outputs).find(
      ([path, output]) => output.entryPoint === entry && path.endsWith(extension),
    );
    if (!found) throw new Error(`esbuild produced no ${extension} for ${entry}`);
    return basename(found[0]);
  };
  const manifest = { script: outputOf(ENTRY_POINTS.app, '.js'), stylesheet: outputOf(ENTRY_POINTS.style, '.css') };
  for (const [key, source] of Object.entries(STATIC_FILES)) {
    const contents = readFileSync(join(ROOT, source));
    const name = hashedName(source, contents);
    writeAtomically(join(outDir, name), contents);
    written.add(name);
    manifest[key] = name;
  }
  writeAtomically(join(outDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);

  // Files of earlier builds are no longer named by the manifest.
  for (const name of readdirSync(outDir)) {
    if (!written.has(name) && !name.endsWith('.tmp')) rmSync(join(outDir, name), { force: true });
  }
  if (!quiet) {
    for (const file of result.outputFiles) {
      const name = basename(file.path);
      const gzipKiB = (gzipSync(file.contents).length / 1024).toFixed(1);
      console.log(`${relative(ROOT, join(outDir, name))}  ${(file.contents.length / 1024).toFixed(1)} KiB (${gzipKiB} KiB gzip)`);
    }
  }
  return manifest;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWeb();
}

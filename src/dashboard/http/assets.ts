// The web client's files: served from dist/web (built by scripts/build-web.mjs), and their current
// names for the pages that load them. Names carry a content hash, so a browser may keep a file for a
// year: a new build has new names, and the pages name the new files at once.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { App } from './context.js';

/** src/dashboard/http and dist/dashboard/http are both three levels below the repository root. */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../../dist/web/', import.meta.url));
export const ASSETS_PREFIX = '/assets/';
const MANIFEST_FILE = 'manifest.json';
const ONE_YEAR_S = 365 * 24 * 60 * 60;
/** `app-K3J5QX7A.js`: esbuild's content hash is 8 base-32 characters. */
const HASHED_NAME = /-[A-Z0-9]{8}\.(js|css|svg)(\.gz|\.br)?$/;
const PLAIN_NAME = /^[A-Za-z0-9._-]+$/;

export interface WebAssets {
  /** URL paths, ready for src/href. */
  script: string;
  stylesheet: string;
  icon: string;
}

let cached: { text: string; assets: WebAssets } | null = null;

/**
 * The names of the current build, or null when the client is not built. The manifest is read on each
 * call (a hundred bytes), so a rebuild while the dashboard runs is picked up without a restart.
 */
export function webAssets(dir = WEB_DIST_DIR): WebAssets | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    return null;
  }
  if (cached?.text === text) return cached.assets;
  const assets = parseManifest(text);
  if (assets) cached = { text, assets };
  return assets;
}

function parseManifest(text: string): WebAssets | null {
  try {
    const manifest: unknown = JSON.parse(text);
    if (typeof manifest !== 'object' || manifest === null) return null;
    const { script, stylesheet, icon } = manifest as Record<string, unknown>;
    const names = [script, stylesheet, icon];
    if (!names.every((name): name is string => typeof name === 'string' && PLAIN_NAME.test(name))) return null;
    return { script: ASSETS_PREFIX + script, stylesheet: ASSETS_PREFIX + stylesheet, icon: ASSETS_PREFIX + icon };
  } catch {
    return null;
  }
}

function cacheHeaders(response: { setHeader(name: string, value: string): unknown }, filePath: string): void {
  const immutable = HASHED_NAME.test(filePath);
  response.setHeader('cache-control', immutable ? `public, max-age=${ONE_YEAR_S}, immutable` : 'no-cache');
}

/** GET /assets/*: the files of dist/web, precompressed copies when the browser accepts them. */
export function assetRoutes(app: App): void {
  void app.register(fastifyStatic, {
    root: WEB_DIST_DIR,
    prefix: ASSETS_PREFIX,
    decorateReply: false,
    index: false,
    preCompressed: true,
    cacheControl: false,
    setHeaders: cacheHeaders,
  });
}

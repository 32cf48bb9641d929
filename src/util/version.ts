// The package's version: one number for the dashboard, the agent and the command line they ship together.
import fs from 'node:fs';

/** package.json sits two levels above this file, both in src/util and in dist/util. */
const PACKAGE_JSON_URL = new URL('../../package.json', import.meta.url);

function readVersion(): string {
  try {
    const parsed = JSON.parse(fs.readFileSync(PACKAGE_JSON_URL, 'utf8')) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const PACKAGE_VERSION = readVersion();

// The agent's version is the package's: one number for the dashboard and the agent they ship together.
import fs from 'node:fs';

/** package.json sits two levels above this file, both in src/agent and in dist/agent. */
const PACKAGE_JSON_URL = new URL('../../package.json', import.meta.url);

function readVersion(): string {
  try {
    const parsed = JSON.parse(fs.readFileSync(PACKAGE_JSON_URL, 'utf8')) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const AGENT_VERSION = readVersion();

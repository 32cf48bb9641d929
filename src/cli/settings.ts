// Where the dashboard is and which API token to show it: NIXFLEET_URL and NIXFLEET_API_TOKEN, or the
// --url and --token-file flags, which win. A missing or unusable setting is one line and exit 2.
import { API_TOKEN_PREFIX } from '../protocol/constants.js';
import fs from 'node:fs';
import { usageError } from './errors.js';

export { API_TOKEN_PREFIX };

export interface Settings {
  /** The dashboard's web address without a trailing slash: `https://fleet.example.org` (or with its path prefix). */
  httpBase: string;
  /** Its WebSocket endpoint: `wss://fleet.example.org/ws`. */
  wsUrl: string;
  token: string;
}

export interface SettingFlags {
  url?: string | undefined;
  tokenFile?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

const SOCKET_TO_WEB: Readonly<Record<string, string>> = { 'ws:': 'http:', 'wss:': 'https:' };
const WEB_TO_SOCKET: Readonly<Record<string, string>> = { 'http:': 'ws:', 'https:': 'wss:' };

/**
 * The dashboard's web address and socket from what a person may have at hand: its page
 * (`https://fleet.example.org`) or the address its agents use (`wss://fleet.example.org/ws`).
 */
export function dashboardAddress(text: string, name: string): { httpBase: string; wsUrl: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`${name} is not a URL: "${text}" (the dashboard's address, such as https://fleet.example.org)`);
  }
  const web = SOCKET_TO_WEB[url.protocol];
  // The URL class keeps schemes apart: swap the scheme in the text, then parse again.
  if (web) url = new URL(`${web}${url.href.slice(url.protocol.length)}`);
  const socket = WEB_TO_SOCKET[url.protocol];
  if (!socket) throw usageError(`${name} must start with http://, https://, ws:// or wss://, got "${text}"`);
  // The agents' address names the socket itself: the dashboard is what it hangs off.
  const path = url.pathname.replace(/\/+$/, '').replace(/\/ws$/, '');
  const httpBase = `${url.protocol}//${url.host}${path}`;
  return { httpBase, wsUrl: `${socket}//${url.host}${path}/ws` };
}

function readTokenFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw usageError(`--token-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!text) throw usageError(`--token-file: ${file} is empty`);
  return text;
}

export function resolveSettings(env: Env, flags: SettingFlags): Settings {
  const urlName = flags.url !== undefined ? '--url' : 'NIXFLEET_URL';
  const urlText = flags.url ?? env.NIXFLEET_URL?.trim();
  if (!urlText) throw usageError('NIXFLEET_URL is not set: the dashboard\'s address, such as https://fleet.example.org (or pass --url)');
  const address = dashboardAddress(urlText, urlName);

  const tokenName = flags.tokenFile !== undefined ? '--token-file' : 'NIXFLEET_API_TOKEN';
  const token = flags.tokenFile !== undefined ? readTokenFile(flags.tokenFile) : env.NIXFLEET_API_TOKEN?.trim();
  if (!token) {
    throw usageError('NIXFLEET_API_TOKEN is not set: make an API token in the dashboard (API tokens) and export it, or pass --token-file');
  }
  if (!token.startsWith(API_TOKEN_PREFIX)) {
    throw usageError(`${tokenName} is not an API token (those start with ${API_TOKEN_PREFIX}); an agent token does not work here`);
  }
  return { ...address, token };
}

// The agent's settings, read once from the environment. The names are those of the earlier Go agent,
// so a host switches over without touching its configuration. Anything wrong is one ConfigError that
// names the variable; main turns it into one line and exit code 2.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { isValidHostname, HOSTNAME_PATTERN } from '../protocol/constants.js';
import { RegisterPayload } from '../protocol/agent.js';
import type { HostType } from '../protocol/model.js';
// One duration syntax for the whole fleet (`500ms`, `30s`, `5m`).
import { parseDuration } from '../util/units.js';
import { findProgram } from './host/programs.js';
import { DEFAULT_RECONNECT_POLICY } from './connection/backoff.js';

export class ConfigError extends Error {
  readonly code = 'bad_config';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** How a command that must outlive an agent restart (switch) is started. */
export type DetachMode = 'systemd-run' | 'process-group';

export interface AgentConfig {
  /** ws:// or wss:// URL of the dashboard's /ws endpoint. */
  url: string;
  /** What the agent made of a setting it accepted in another form (an http:// URL): logged once at start. */
  notes: string[];
  token: string;
  /** Isolated mode: the agent keeps its own clone of this repository. */
  repoUrl: string | null;
  repoDir: string;
  branch: string;
  sshKey: string | null;
  heartbeatIntervalS: number;
  hostname: string;
  location: string | null;
  deviceType: string | null;
  /** The host's tags (NIXFLEET_TAGS), which rollouts can target. */
  tags: string[];
  themeColor: string | null;
  stateDir: string;
  hostType: HostType;
  /** Put before commands that need root (nixos-rebuild, reboot): `sudo` unless the agent is root. */
  privilegePrefix: string[];
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** No frame or ping from the dashboard for this long means it is gone: reconnect. */
  deadAfterMs: number;
  /** Between SIGTERM and SIGKILL when a command is stopped. */
  stopGraceMs: number;
  /** Output lines kept while the dashboard is unreachable; older ones are dropped past it. */
  outputBufferLines: number;
  detach: DetachMode;
  /** Exit with 101 after a successful switch so that systemd starts the agent's new version. */
  restartAfterSwitch: boolean;
  /** How often the agent checks git, lock and system by itself (jittered); null: never. */
  refreshIntervalMs: number | null;
  logLevel: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_HEARTBEAT_INTERVAL_S = 5;
const MAX_HEARTBEAT_INTERVAL_S = 3_600;
const MS_PER_S = 1_000;
const DEFAULTS = {
  branch: 'main',
  reconnectMin: `${DEFAULT_RECONNECT_POLICY.minMs}ms`,
  reconnectMax: `${DEFAULT_RECONNECT_POLICY.maxMs}ms`,
  // The dashboard pings every 30 s; one and a half intervals of silence is a dead dashboard.
  deadAfter: '45s',
  stopGrace: '5s',
  outputBufferLines: 20_000,
  refreshInterval: '5m',
} as const;
const MIN_OUTPUT_BUFFER_LINES = 100;
/** A background fetch and evaluation more often than this would be a load, not a check. */
const MIN_REFRESH_INTERVAL_MS = 1_000;

const registerCheck = TypeCompiler.Compile(RegisterPayload);
/** Register fields that come straight from one variable, so a schema error can name it. */
const VARIABLE_OF_FIELD: Record<string, string> = {
  '/theme_color': 'NIXFLEET_THEME_COLOR',
  '/location': 'NIXFLEET_LOCATION',
  '/device_type': 'NIXFLEET_DEVICE_TYPE',
  '/repo_url': 'NIXFLEET_REPO_URL',
  '/repo_dir': 'NIXFLEET_REPO_DIR',
  '/heartbeat_interval': 'NIXFLEET_INTERVAL',
  '/tags': 'NIXFLEET_TAGS',
};

function optional(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function durationMs(env: Env, name: string, fallback: string): number {
  const text = optional(env, name) ?? fallback;
  const value = parseDuration(text);
  if (value === null || value <= 0) throw new ConfigError(name, `expected a duration such as 500ms, 30s or 5m, got "${text}"`);
  return value;
}

/** A dashboard address given as its web page (http, https): the agent speaks WebSocket on the same port. */
const WEB_TO_SOCKET: Record<string, string> = { 'http:': 'ws:', 'https:': 'wss:' };

function readUrl(env: Env): { url: string; notes: string[] } {
  const text = optional(env, 'NIXFLEET_URL');
  if (!text) throw new ConfigError('NIXFLEET_URL', 'required: the dashboard address, such as wss://fleet.example.org/ws');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('NIXFLEET_URL', `not a URL: "${text}"`);
  }
  const notes: string[] = [];
  const socketProtocol = WEB_TO_SOCKET[url.protocol];
  if (socketProtocol) {
    // The URL class keeps special schemes apart: swap the scheme in the text, then parse again.
    url = new URL(`${socketProtocol}${url.href.slice(url.protocol.length)}`);
  } else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ConfigError('NIXFLEET_URL', `must start with ws:// or wss:// (or http:// or https://), got "${text}"`);
  }
  // The dashboard serves agents at /ws; a bare host means that.
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/ws';
  if (socketProtocol) notes.push(`NIXFLEET_URL: "${text}" is the dashboard's web address; the agent connects to ${url.toString()}`);
  return { url: url.toString(), notes };
}

function readToken(env: Env): string {
  const direct = optional(env, 'NIXFLEET_TOKEN');
  if (direct) return direct;
  const file = optional(env, 'NIXFLEET_TOKEN_FILE');
  if (!file) throw new ConfigError('NIXFLEET_TOKEN', 'required (or NIXFLEET_TOKEN_FILE): the dashboard\'s agent token');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError('NIXFLEET_TOKEN_FILE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!text) throw new ConfigError('NIXFLEET_TOKEN_FILE', `${file} is empty`);
  return text;
}

function defaultStateDir(env: Env): string {
  if (process.getuid?.() === 0) return '/var/lib/nixfleet-agent';
  const base = optional(env, 'XDG_STATE_HOME') ?? path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'nixfleet-agent');
}

function readStateDir(env: Env): string {
  const dir = path.resolve(optional(env, 'NIXFLEET_STATE_DIR') ?? defaultStateDir(env));
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new ConfigError('NIXFLEET_STATE_DIR', `cannot use ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return dir;
}

function readRepo(env: Env, stateDir: string): { repoUrl: string | null; repoDir: string } {
  const repoUrl = optional(env, 'NIXFLEET_REPO_URL');
  const repoDir = optional(env, 'NIXFLEET_REPO_DIR');
  if (repoUrl) return { repoUrl, repoDir: path.resolve(repoDir ?? path.join(stateDir, 'repo')) };
  if (!repoDir) {
    throw new ConfigError('NIXFLEET_REPO_DIR', 'required: the flake repository of this host (or set NIXFLEET_REPO_URL for an agent-managed clone)');
  }
  const resolved = path.resolve(repoDir);
  if (!fs.existsSync(resolved)) throw new ConfigError('NIXFLEET_REPO_DIR', `${resolved} does not exist`);
  return { repoUrl: null, repoDir: resolved };
}

function readBranch(env: Env): string {
  const branch = optional(env, 'NIXFLEET_BRANCH') ?? DEFAULTS.branch;
  if (!/^[A-Za-z0-9._/][A-Za-z0-9._/-]*$/.test(branch) || branch.includes('..')) {
    throw new ConfigError('NIXFLEET_BRANCH', `not a branch name: "${branch}"`);
  }
  return branch;
}

function readSshKey(env: Env): string | null {
  const key = optional(env, 'NIXFLEET_SSH_KEY');
  if (!key) return null;
  try {
    fs.accessSync(key, fs.constants.R_OK);
  } catch {
    throw new ConfigError('NIXFLEET_SSH_KEY', `cannot read ${key}`);
  }
  return path.resolve(key);
}

/** Heartbeat seconds: a duration (`5s`, `500ms`), or a bare number of seconds as the Go agent took it. */
function readInterval(env: Env): number {
  const name = 'NIXFLEET_INTERVAL';
  const text = optional(env, name);
  if (text === null) return DEFAULT_HEARTBEAT_INTERVAL_S;
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * MS_PER_S : parseDuration(text);
  if (ms === null || ms <= 0 || ms > MAX_HEARTBEAT_INTERVAL_S * MS_PER_S) {
    throw new ConfigError(name, `expected a duration such as 5s or 500ms (a bare number is seconds), more than 0 and at most ${MAX_HEARTBEAT_INTERVAL_S}s, got "${text}"`);
  }
  return ms / MS_PER_S;
}

function readHostname(env: Env): string {
  const given = optional(env, 'NIXFLEET_HOSTNAME');
  const hostname = given ?? os.hostname().split('.')[0] ?? '';
  if (!isValidHostname(hostname)) {
    const origin = given ? '' : ' (taken from the system; set NIXFLEET_HOSTNAME)';
    throw new ConfigError('NIXFLEET_HOSTNAME', `"${hostname}"${origin} must match ${HOSTNAME_PATTERN}`);
  }
  return hostname;
}

function readHostType(env: Env): HostType {
  const text = optional(env, 'NIXFLEET_HOST_TYPE');
  if (text === null) return process.platform === 'darwin' ? 'macos' : 'nixos';
  if (text !== 'nixos' && text !== 'macos') throw new ConfigError('NIXFLEET_HOST_TYPE', `expected nixos or macos, got "${text}"`);
  return text;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const text = optional(env, name)?.toLowerCase();
  if (text === undefined || text === null) return fallback;
  if (['1', 'true', 'yes'].includes(text)) return true;
  if (['0', 'false', 'no'].includes(text)) return false;
  throw new ConfigError(name, `expected true or false, got "${text}"`);
}

function readBufferLines(env: Env): number {
  const text = optional(env, 'NIXFLEET_OUTPUT_BUFFER');
  if (text === null) return DEFAULTS.outputBufferLines;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < MIN_OUTPUT_BUFFER_LINES) {
    throw new ConfigError('NIXFLEET_OUTPUT_BUFFER', `expected a number of lines of at least ${MIN_OUTPUT_BUFFER_LINES}, got "${text}"`);
  }
  return value;
}

function readRefreshInterval(env: Env): number | null {
  const name = 'NIXFLEET_REFRESH_INTERVAL';
  const text = optional(env, name) ?? DEFAULTS.refreshInterval;
  if (text === '0' || text.toLowerCase() === 'off') return null;
  const value = parseDuration(text);
  if (value === 0) return null;
  if (value === null || value < MIN_REFRESH_INTERVAL_MS) {
    throw new ConfigError(name, `expected a duration of at least ${MIN_REFRESH_INTERVAL_MS}ms such as 5m, or 0 or off, got "${text}"`);
  }
  return value;
}

/** The fields the dashboard would refuse are checked against the protocol's own schema. */
function checkAgainstProtocol(config: AgentConfig): void {
  const draft = {
    hostname: config.hostname,
    theme_color: config.themeColor,
    location: config.location,
    device_type: config.deviceType,
    repo_url: config.repoUrl,
    repo_dir: config.repoDir,
    heartbeat_interval: config.heartbeatIntervalS,
    tags: config.tags,
  };
  for (const error of registerCheck.Errors(draft)) {
    // A tag's error is at /tags/<n>: it is the variable's.
    const variable = VARIABLE_OF_FIELD[error.path.replace(/^\/tags\/\d+$/, '/tags')] ?? error.path;
    const hint = error.path === '/theme_color' ? ' (expected #rrggbb)' : '';
    throw new ConfigError(variable, `${error.message}${hint}: "${String(error.value)}"`);
  }
}

export function loadAgentConfig(env: Env = process.env): AgentConfig {
  const { url, notes } = readUrl(env);
  const token = readToken(env);
  const stateDir = readStateDir(env);
  const isRoot = process.getuid?.() === 0;
  const sudo = env.NIXFLEET_SUDO;
  const reconnectMinMs = durationMs(env, 'NIXFLEET_RECONNECT_MIN', DEFAULTS.reconnectMin);
  const reconnectMaxMs = durationMs(env, 'NIXFLEET_RECONNECT_MAX', DEFAULTS.reconnectMax);
  if (reconnectMaxMs < reconnectMinMs) throw new ConfigError('NIXFLEET_RECONNECT_MAX', 'must not be less than NIXFLEET_RECONNECT_MIN');
  // Under systemd (INVOCATION_ID) a switch must leave the agent's cgroup to survive the agent's restart.
  const underSystemd = Boolean(env.INVOCATION_ID);
  const config: AgentConfig = {
    url,
    notes,
    token,
    ...readRepo(env, stateDir),
    branch: readBranch(env),
    sshKey: readSshKey(env),
    heartbeatIntervalS: readInterval(env),
    hostname: readHostname(env),
    location: optional(env, 'NIXFLEET_LOCATION'),
    deviceType: optional(env, 'NIXFLEET_DEVICE_TYPE'),
    tags: [...new Set((optional(env, 'NIXFLEET_TAGS') ?? '').split(',').map((tag) => tag.trim()).filter(Boolean))],
    themeColor: optional(env, 'NIXFLEET_THEME_COLOR'),
    stateDir,
    hostType: readHostType(env),
    privilegePrefix: sudo === undefined ? (isRoot ? [] : ['sudo']) : sudo.split(/\s+/).filter(Boolean),
    reconnectMinMs,
    reconnectMaxMs,
    deadAfterMs: durationMs(env, 'NIXFLEET_DEAD_AFTER', DEFAULTS.deadAfter),
    stopGraceMs: durationMs(env, 'NIXFLEET_STOP_GRACE', DEFAULTS.stopGrace),
    outputBufferLines: readBufferLines(env),
    detach: underSystemd && findProgram(env.PATH ?? '', 'systemd-run') ? 'systemd-run' : 'process-group',
    restartAfterSwitch: readBoolean(env, 'NIXFLEET_RESTART_AFTER_SWITCH', underSystemd),
    refreshIntervalMs: readRefreshInterval(env),
    logLevel: optional(env, 'NIXFLEET_LOG_LEVEL') ?? 'info',
  };
  checkAgainstProtocol(config);
  return config;
}

/** The configuration as --check prints it: everything but the token (and the notes, printed apart). */
export function describeConfig(config: AgentConfig): Record<string, unknown> {
  const { notes: _notes, ...shown } = config;
  return { ...shown, token: `<${config.token.length} characters>` };
}

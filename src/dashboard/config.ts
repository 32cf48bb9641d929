// The dashboard's settings, read once from the environment (the tables in README.md).
import os from 'node:os';
import path from 'node:path';
import { isCommandName } from '../protocol/constants.js';
import { parseDuration, parseSize } from '../util/units.js';

/** The longest a timer-backed setting may be: within what a Node timer keeps (2^31 - 1 ms, 24.8 days). */
const MAX_TIMER_SETTING_MS = 24 * 24 * 60 * 60 * 1000;

export class ConfigError extends Error {
  readonly code = 'bad_config';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

export interface DashboardConfig {
  listenHost: string;
  listenPort: number;
  dataDir: string;
  passwordHash: string | undefined;
  password: string | undefined;
  agentToken: string | undefined;
  /** Whether the shared agent token is accepted at all (enrolment and old agents). */
  allowSharedAgentToken: boolean;
  /** Secrets that verify session cookies; the first also signs. Empty: one kept in the data dir. */
  sessionSecrets: string[];
  totpSecret: string | undefined;
  sessionDurationMs: number;
  rateLimit: number;
  rateWindowMs: number;
  /** Failed agent upgrades an address may make per rate window before it gets 429. */
  agentRateLimit: number;
  allowedOrigins: string[];
  /** Addresses or CIDR ranges whose X-Forwarded-For and X-Forwarded-Proto are believed. */
  trustedProxies: string[];
  pingIntervalMs: number;
  offlineTimeoutMs: number;
  maxMessageBytes: number;
  /** Outbound bytes a browser may fall behind before it is cut with 4008. */
  browserQueueBytes: number;
  /** Outbound bytes an agent may fall behind before it is cut with 4008. */
  agentQueueBytes: number;
  /** Bearer token a Prometheus scraper presents at /metrics; unset: only logged-in admins. */
  metricsToken: string | undefined;
  /** How long events are kept. */
  eventRetentionMs: number;
  /** How long the output of finished commands is kept (the command records stay). */
  outputRetentionMs: number;
  /** How long a queued command waits for its host before it expires. */
  queueTtlMs: number;
  /** Per-command run time limits, over the defaults. */
  commandTimeoutsMs: Record<string, number>;
  /** How long writes gather before they go to SQLite in one transaction. */
  storeFlushIntervalMs: number;
  /** PostgreSQL instead of the embedded SQLite (postgres://…); unset: SQLite in the data dir. */
  databaseUrl: string | undefined;
  /** This instance's name in logs, metrics, events and /health. */
  instanceId: string;
  /** The cluster bus (redis://…); set, several instances share one fleet (docs/cluster.md). */
  redisUrl: string | undefined;
  /** What this cluster's Redis channel names begin with, so that clusters can share a Redis server. */
  redisPrefix: string;
  logLevel: string;
  /** The fleet repository (any URL git understands); unset: no git source. */
  repoUrl: string | undefined;
  /** The branch of the fleet repository whose head every host should run. */
  repoBranch: string;
  /** How often the fleet repository is fetched when no webhook says it changed. */
  repoPollMs: number;
  /** Private key for fetching the fleet repository over ssh. */
  repoSshKeyPath: string | undefined;
  /** Shared secret of the push webhook (HMAC key for GitHub, Gitea and Forgejo; the token for GitLab). */
  webhookSecret: string | undefined;
  /** The earlier dashboard's version document (`{gitCommit, lockHash}`), used when no repoUrl is set. */
  versionUrl: string | undefined;
  /** The agent version hosts should run; unset: the newest the fleet runs. */
  agentVersion: string | undefined;
}

/** Reads `:8000`, `0.0.0.0:8000`, `127.0.0.1:0`, `[::]:8000`, or a bare port. */
export function parseListen(text: string): { host: string; port: number } | null {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim()) ?? /^()()(\d+)$/.exec(text.trim());
  if (!match) return null;
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port > 65_535) return null;
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Reads `pull=5m,switch=30m`: a run time limit per command name. */
export function parseTimeouts(text: string): Record<string, number> | null {
  const out: Record<string, number> = {};
  for (const entry of list(text)) {
    const [name, value] = entry.split('=').map((part) => part.trim());
    const ms = parseDuration(value ?? '');
    if (!name || !isCommandName(name) || ms === null || ms <= 0) return null;
    out[name] = ms;
  }
  return out;
}

/** Refnames longer than this are legal for git but certainly a mistake in a setting. */
const BRANCH_NAME_MAX_CHARS = 200;

/**
 * A branch name git accepts (git-check-ref-format) and that cannot be mistaken for an option or
 * break a refspec: no `..`, `@{`, `//`, control characters, space or any of `~^:?*[\`; no component
 * starting with `.` or ending with `.lock`; not starting with `-` or `/`, not ending with `/` or `.`.
 */
export function isBranchName(text: string): boolean {
  if (text === '' || text === '@' || text.length > BRANCH_NAME_MAX_CHARS) return false;
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(text) || text.includes('..') || text.includes('@{') || text.includes('//')) return false;
  if (text.startsWith('-') || text.startsWith('/') || text.endsWith('/') || text.endsWith('.')) return false;
  return text.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'));
}

type Env = Readonly<Record<string, string | undefined>>;

function read<T>(env: Env, name: string, fallback: string, parse: (text: string) => T | null, expected: string): T {
  const text = env[name] ?? fallback;
  const value = parse(text);
  if (value === null) throw new ConfigError(name, `expected ${expected}, got "${text}"`);
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

const positiveInt = (text: string): number | null => (/^\d+$/.test(text.trim()) && Number(text) > 0 ? Number(text) : null);
const duration = 'a duration such as 500ms, 30s, 5m or 24h';
const BOOLEANS: Record<string, boolean> = { true: true, yes: true, '1': true, on: true, false: false, no: false, '0': false, off: false };
const boolean = (text: string): boolean | null => BOOLEANS[text.trim().toLowerCase()] ?? null;
/** An IPv4 or IPv6 address, optionally with a /prefix. */
const ADDRESS_OR_CIDR = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)(?:\/\d{1,3})?$/;
/** A Redis key prefix: no spaces, nothing a channel pattern would read as a wildcard. */
const REDIS_PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;
/** A release version such as 0.2.0 or v1.4.0-rc.1, as the agent reports its own. */
const VERSION = /^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$/;

const httpUrl = (text: string): string | null => {
  try {
    const url = new URL(text.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
};

type DesiredSettingNames = 'repoUrl' | 'repoBranch' | 'repoPollMs' | 'repoSshKeyPath' | 'webhookSecret' | 'versionUrl' | 'agentVersion';

/** The settings of the desired state (the fleet repository, or the earlier dashboard's version URL). */
function desiredSettings(env: Env): Pick<DashboardConfig, DesiredSettingNames> {
  const repoUrl = optional(env, 'NIXFLEET_REPO_URL');
  // git would read a leading dash as one of its options (`--upload-pack=...`), never as a repository.
  if (repoUrl && (repoUrl.startsWith('-') || /[\x00-\x1f\x7f]/.test(repoUrl))) {
    throw new ConfigError('NIXFLEET_REPO_URL', 'expected a repository URL or path git understands');
  }
  const versionUrlText = optional(env, 'NIXFLEET_VERSION_URL');
  const versionUrl = versionUrlText === undefined ? undefined : httpUrl(versionUrlText);
  if (versionUrl === null) throw new ConfigError('NIXFLEET_VERSION_URL', `expected an http(s) URL, got "${versionUrlText}"`);
  const agentVersion = optional(env, 'NIXFLEET_AGENT_VERSION');
  if (agentVersion && !VERSION.test(agentVersion)) {
    throw new ConfigError('NIXFLEET_AGENT_VERSION', `expected a version such as 0.2.0, got "${agentVersion}"`);
  }
  const sshKey = optional(env, 'NIXFLEET_SSH_KEY');
  return {
    repoUrl,
    repoBranch: read(env, 'NIXFLEET_BRANCH', 'main', (text) => (isBranchName(text.trim()) ? text.trim() : null), 'a git branch name'),
    repoPollMs: read(env, 'NIXFLEET_REPO_POLL', '60s', parseDuration, duration),
    repoSshKeyPath: sshKey ? path.resolve(sshKey) : undefined,
    webhookSecret: optional(env, 'NIXFLEET_WEBHOOK_SECRET'),
    versionUrl,
    // Agents report their version without the `v` a tag may carry.
    agentVersion: agentVersion?.replace(/^v/, ''),
  };
}

/** An optional URL setting whose scheme must be one of `schemes`. */
function urlSetting(env: Env, name: string, schemes: readonly string[], example: string): string | undefined {
  const text = optional(env, name);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(name, `expected a URL such as ${example}`);
  }
  if (!schemes.includes(url.protocol)) throw new ConfigError(name, `expected a URL such as ${example}, got scheme "${url.protocol}"`);
  return text;
}

export function loadConfig(env: Env = process.env): DashboardConfig {
  const listen = read(env, 'NIXFLEET_LISTEN', ':8000', parseListen, 'host:port such as :8000');
  const passwordHash = optional(env, 'NIXFLEET_PASSWORD_HASH');
  if (passwordHash && !/^\$2[aby]\$\d\d\$/.test(passwordHash) && !passwordHash.startsWith('$argon2id$')) {
    throw new ConfigError('NIXFLEET_PASSWORD_HASH', 'expected a bcrypt ($2a$/$2b$/$2y$) or argon2id hash');
  }
  const totpSecret = optional(env, 'NIXFLEET_TOTP_SECRET');
  if (totpSecret && !/^[A-Z2-7]+=*$/i.test(totpSecret.replace(/\s/g, ''))) {
    throw new ConfigError('NIXFLEET_TOTP_SECRET', 'expected a base32 secret');
  }
  const trustedProxies = list(env.NIXFLEET_TRUSTED_PROXIES);
  const badProxy = trustedProxies.find((entry) => !ADDRESS_OR_CIDR.test(entry) && entry !== 'loopback');
  if (badProxy) throw new ConfigError('NIXFLEET_TRUSTED_PROXIES', `expected addresses or CIDR ranges, got "${badProxy}"`);
  const sessionSecrets = list(env.NIXFLEET_SESSION_SECRETS);
  const singleSecret = optional(env, 'NIXFLEET_SESSION_SECRET');
  const config: DashboardConfig = {
    listenHost: listen.host,
    listenPort: listen.port,
    dataDir: path.resolve(env.NIXFLEET_DATA_DIR?.trim() || './data'),
    passwordHash,
    password: env.NIXFLEET_PASSWORD || undefined,
    agentToken: optional(env, 'NIXFLEET_AGENT_TOKEN'),
    allowSharedAgentToken: read(env, 'NIXFLEET_ALLOW_SHARED_AGENT_TOKEN', 'true', boolean, 'true or false'),
    sessionSecrets: sessionSecrets.length > 0 ? sessionSecrets : singleSecret ? [singleSecret] : [],
    totpSecret: totpSecret?.replace(/\s/g, '').toUpperCase(),
    sessionDurationMs: read(env, 'NIXFLEET_SESSION_DURATION', '24h', parseDuration, duration),
    rateLimit: read(env, 'NIXFLEET_RATE_LIMIT', '5', positiveInt, 'a positive whole number'),
    rateWindowMs: read(env, 'NIXFLEET_RATE_WINDOW', '1m', parseDuration, duration),
    agentRateLimit: read(env, 'NIXFLEET_AGENT_RATE_LIMIT', '20', positiveInt, 'a positive whole number'),
    allowedOrigins: list(env.NIXFLEET_ALLOWED_ORIGINS).map((origin) => origin.replace(/\/+$/, '')),
    trustedProxies,
    pingIntervalMs: read(env, 'NIXFLEET_PING_INTERVAL', '30s', parseDuration, duration),
    offlineTimeoutMs: read(env, 'NIXFLEET_OFFLINE_TIMEOUT', '30s', parseDuration, duration),
    maxMessageBytes: read(env, 'NIXFLEET_MAX_MESSAGE', '1MiB', parseSize, 'a size such as 1MiB'),
    browserQueueBytes: read(env, 'NIXFLEET_BROWSER_QUEUE', '16MiB', parseSize, 'a size such as 16MiB'),
    agentQueueBytes: read(env, 'NIXFLEET_AGENT_QUEUE', '1MiB', parseSize, 'a size such as 1MiB'),
    metricsToken: optional(env, 'NIXFLEET_METRICS_TOKEN'),
    eventRetentionMs: read(env, 'NIXFLEET_EVENT_RETENTION', '30d', parseDuration, duration),
    outputRetentionMs: read(env, 'NIXFLEET_OUTPUT_RETENTION', '30d', parseDuration, duration),
    queueTtlMs: read(env, 'NIXFLEET_QUEUE_TTL', '24h', parseDuration, duration),
    commandTimeoutsMs: read(env, 'NIXFLEET_COMMAND_TIMEOUTS', '', parseTimeouts, 'a list such as pull=5m,switch=30m'),
    storeFlushIntervalMs: read(env, 'NIXFLEET_STORE_FLUSH_INTERVAL', '100ms', parseDuration, duration),
    databaseUrl: urlSetting(env, 'NIXFLEET_DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://user@host:5432/database'),
    instanceId: optional(env, 'NIXFLEET_INSTANCE_ID') ?? `${os.hostname()}-${process.pid}`,
    redisUrl: urlSetting(env, 'NIXFLEET_REDIS_URL', ['redis:', 'rediss:'], 'redis://host:6379'),
    redisPrefix: read(env, 'NIXFLEET_REDIS_PREFIX', 'nixfleet', (text) => (REDIS_PREFIX.test(text.trim()) ? text.trim() : null), 'letters, digits and . _ : - (at most 64)'),
    logLevel: env.NIXFLEET_LOG_LEVEL?.trim() || 'info',
    ...desiredSettings(env),
  };
  for (const [name, value] of [
    ['NIXFLEET_SESSION_DURATION', config.sessionDurationMs],
    ['NIXFLEET_RATE_WINDOW', config.rateWindowMs],
    ['NIXFLEET_PING_INTERVAL', config.pingIntervalMs],
    ['NIXFLEET_OFFLINE_TIMEOUT', config.offlineTimeoutMs],
    ['NIXFLEET_MAX_MESSAGE', config.maxMessageBytes],
    ['NIXFLEET_REPO_POLL', config.repoPollMs],
  ] as const) {
    if (value <= 0) throw new ConfigError(name, 'must be greater than zero');
  }
  // Each is one timer: Node fires a longer one at once, which would poll or ping without a pause.
  for (const [name, value] of [
    ['NIXFLEET_PING_INTERVAL', config.pingIntervalMs],
    ['NIXFLEET_OFFLINE_TIMEOUT', config.offlineTimeoutMs],
    ['NIXFLEET_REPO_POLL', config.repoPollMs],
  ] as const) {
    if (value > MAX_TIMER_SETTING_MS) throw new ConfigError(name, 'must be at most 24d (about the longest timer Node keeps)');
  }
  if (config.redisUrl) checkClusterSettings(config);
  return config;
}

/**
 * In a cluster any instance may become the one that keeps the fleet, so what each would otherwise
 * generate in its own data dir must be the same everywhere: set in the environment.
 */
function checkClusterSettings(config: DashboardConfig): void {
  const why = 'every instance of a cluster (NIXFLEET_REDIS_URL) must share it: set it in the environment';
  if (!config.databaseUrl) throw new ConfigError('NIXFLEET_DATABASE_URL', 'a cluster (NIXFLEET_REDIS_URL) stores into PostgreSQL: set it too');
  if (!config.passwordHash && !config.password) throw new ConfigError('NIXFLEET_PASSWORD_HASH', why);
  if (config.sessionSecrets.length === 0) throw new ConfigError('NIXFLEET_SESSION_SECRET', why);
  if (config.allowSharedAgentToken && !config.agentToken) throw new ConfigError('NIXFLEET_AGENT_TOKEN', `${why} (or set NIXFLEET_ALLOW_SHARED_AGENT_TOKEN=false)`);
}

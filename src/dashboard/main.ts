#!/usr/bin/env node
// nixfleet-dashboard: reads its settings from the environment and serves until told to stop; or, with
// an argument, answers it and exits (--help, --version, hash-password). Exit codes: cli/cli.ts.
import { ConfigError, loadConfig, type DashboardConfig } from './config.js';
import { startDashboard } from './server.js';
import { startClusterInstance } from './cluster/instance.js';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js';
import { MigrationError, migrateToPostgres } from './store/migrate-to-postgres.js';
import { plainHttpWarning, TLS_DOCS } from './plain-http-warning.js';
import { EXIT_DATA_DIR_IN_USE, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, HASH_PASSWORD_HELP, HELP_TEXT, parseCli } from './cli/cli.js';
import { runHashPassword } from './cli/hash-password.js';
import { PasswordInputError } from './cli/password-input.js';
import { PACKAGE_VERSION } from '../util/version.js';
import type { Logger } from 'pino';

/** A graceful stop that takes longer than this ends the process anyway. */
const SHUTDOWN_DEADLINE_MS = 5_000;

function fail(code: number, message: string): never {
  process.stderr.write(`nixfleet-dashboard: ${message}\n`);
  process.exit(code);
}

function printGenerated(generated: { password?: string; agentToken?: string }, url: string): void {
  if (!generated.password && !generated.agentToken) return;
  const lines = ['', 'NixFleet generated credentials on this first start. They are shown once; only hashes are kept.'];
  if (generated.password) lines.push(`  admin password: ${generated.password}`);
  if (generated.agentToken) lines.push(`  agent token:    ${generated.agentToken}`);
  lines.push(`  dashboard:      ${url}`, '');
  process.stdout.write(`${lines.join('\n')}\n`);
}

function readConfig(): DashboardConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(EXIT_USAGE, err.message);
    throw err;
  }
}

async function hashPasswordCommand(): Promise<void> {
  try {
    await runHashPassword();
  } catch (err) {
    if (!(err instanceof PasswordInputError)) throw err;
    fail(err.code === 'interrupted' ? EXIT_INTERRUPTED : EXIT_USAGE, err.message);
  }
}

/** Copies the data dir's SQLite database into PostgreSQL, with the data dir locked: no dashboard may write meanwhile. */
async function migrateCommand(): Promise<void> {
  const config = readConfig();
  if (!config.databaseUrl) fail(EXIT_USAGE, 'NIXFLEET_DATABASE_URL: set it to the (empty) PostgreSQL database to copy into');
  try {
    lockDataDir(config.dataDir);
    const copied = await migrateToPostgres(config.dataDir, config.databaseUrl);
    for (const [table, rows] of Object.entries(copied)) process.stdout.write(`${table}: ${rows} rows\n`);
  } catch (err) {
    if (err instanceof DataDirInUseError) fail(EXIT_DATA_DIR_IN_USE, err.message);
    if (err instanceof MigrationError) fail(EXIT_FAILED, err.message);
    throw err;
  }
}

/** What serve() runs: a dashboard on its own, or one instance of a cluster. */
async function startServing(config: DashboardConfig): Promise<{ app: { log: Logger }; url: string; port: number; close(): Promise<void> }> {
  if (!config.redisUrl) {
    const dashboard = await startDashboard(config);
    printGenerated(dashboard.context.credentials.generated, dashboard.url);
    return dashboard;
  }
  // Another instance holds the fleet now: this one stops at once, so that two never act on it (the
  // service manager starts it again as a follower).
  return startClusterInstance(config, { onLeadershipLost: () => process.exit(EXIT_FAILED) });
}

async function serve(): Promise<void> {
  const config = readConfig();
  const dashboard = await startServing(config).catch((err: unknown) => {
    if (err instanceof DataDirInUseError) fail(EXIT_DATA_DIR_IN_USE, err.message);
    throw err;
  });
  dashboard.app.log.info({ url: dashboard.url, dataDir: config.dataDir, cluster: config.redisUrl !== undefined }, 'dashboard listening');
  const warning = plainHttpWarning(config, dashboard.port);
  if (warning) dashboard.app.log.warn({ docs: TLS_DOCS }, warning);

  const stop = (signal: string) => {
    dashboard.app.log.info({ signal }, 'stopping');
    setTimeout(() => process.exit(EXIT_FAILED), SHUTDOWN_DEADLINE_MS).unref();
    dashboard.close().then(
      () => process.exit(EXIT_OK),
      (err: unknown) => {
        dashboard.app.log.error({ err }, 'stop failed');
        process.exit(EXIT_FAILED);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (!cli.ok) fail(EXIT_USAGE, cli.message);
  switch (cli.mode) {
    case 'help':
      return void process.stdout.write(HELP_TEXT);
    case 'version':
      return void process.stdout.write(`nixfleet-dashboard ${PACKAGE_VERSION}\n`);
    case 'hash-password-help':
      return void process.stdout.write(HASH_PASSWORD_HELP);
    case 'hash-password':
      return hashPasswordCommand();
    case 'migrate-to-postgres':
      return migrateCommand();
    case 'serve':
      return serve();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`nixfleet-dashboard: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(EXIT_FAILED);
});

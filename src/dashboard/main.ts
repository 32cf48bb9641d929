#!/usr/bin/env node
// nixfleet-dashboard: reads its settings from the environment and serves until told to stop.
import { ConfigError, loadConfig } from './config.js';
import { startDashboard } from './server.js';

/** A graceful stop that takes longer than this ends the process anyway. */
const SHUTDOWN_DEADLINE_MS = 5_000;

function printGenerated(generated: { password?: string; agentToken?: string }, url: string): void {
  if (!generated.password && !generated.agentToken) return;
  const lines = ['', 'NixFleet generated credentials on this first start. They are shown once; only hashes are kept.'];
  if (generated.password) lines.push(`  admin password: ${generated.password}`);
  if (generated.agentToken) lines.push(`  agent token:    ${generated.agentToken}`);
  lines.push(`  dashboard:      ${url}`, '');
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`nixfleet-dashboard: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const dashboard = await startDashboard(config);
  printGenerated(dashboard.context.credentials.generated, dashboard.url);
  dashboard.app.log.info({ url: dashboard.url, dataDir: config.dataDir }, 'dashboard listening');

  const stop = (signal: string) => {
    dashboard.app.log.info({ signal }, 'stopping');
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    dashboard.close().then(
      () => process.exit(0),
      (err: unknown) => {
        dashboard.app.log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`nixfleet-dashboard: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

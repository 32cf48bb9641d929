// Which backend the dashboard stores into: PostgreSQL when NIXFLEET_DATABASE_URL is set, else the
// embedded SQLite in the data dir. Nothing else in the dashboard asks which one runs.
import type { Logger } from 'pino';
import type { DashboardConfig } from '../config.js';
import type { Store } from './store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { PostgresStore } from './postgres/postgres-store.js';

export async function openStore(config: Pick<DashboardConfig, 'databaseUrl' | 'dataDir' | 'storeFlushIntervalMs'>, log: Logger): Promise<Store> {
  if (config.databaseUrl) return PostgresStore.open(config.databaseUrl, config.storeFlushIntervalMs, log);
  return new SqliteStore(config.dataDir, config.storeFlushIntervalMs, log);
}

// The real PostgreSQL and Redis servers the cluster tests run against: NIXFLEET_TEST_DATABASE_URL
// and NIXFLEET_TEST_REDIS_URL, by default the local servers on their standard ports. Each test gets a
// schema (PostgreSQL) or key prefix (Redis) of its own and removes it. In CI (CI=true) a missing
// server fails the test; on a developer's machine the test is skipped with one line saying how to
// enable it.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.NIXFLEET_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.NIXFLEET_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const HOW_TO_ENABLE =
  'start PostgreSQL (or set NIXFLEET_TEST_DATABASE_URL) to run it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

/** A URL whose connections use `schema` (created here); `drop` removes the schema and all in it. */
export interface TestDatabase {
  url: string;
  schema: string;
  drop(): Promise<void>;
}

async function canConnect(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A fresh schema on the test PostgreSQL server, dropped after the test. Without a server: the test
 * is skipped (returns null), or fails under CI.
 */
export async function testDatabase(t: TestContext): Promise<TestDatabase | null> {
  const problem = await canConnect(TEST_DATABASE_URL);
  if (problem !== null) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${TEST_DATABASE_URL} is required in CI: ${problem}`);
    t.skip(`no PostgreSQL at ${TEST_DATABASE_URL} (${problem}); ${HOW_TO_ENABLE}`);
    return null;
  }
  const schema = `nixfleet_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const database: TestDatabase = {
    url: url.toString(),
    schema,
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
  t.after(() => database.drop());
  return database;
}

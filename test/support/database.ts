/**
 * Each suite gets its own PostgreSQL database with a unique name, dropped at the end.
 * DATABASE_URL (default: the local server; unset and none there, an embedded one for the run) names the server.
 */
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { Client, Pool } from 'pg';
import { migrations } from '../../src/migrations';
import { type MigrationList, migrateToLatest } from '../../src/platform/migrator';
import { PipelinedPostgres, pipelined } from '../../src/platform/pipelined';
import { DEFAULT_DATABASE_URL } from './test-env';

/** The machine's server, or the embedded one this run started (test/support/test-services.ts). */
const serverUrl = (): string => process.env.DATABASE_URL || DEFAULT_DATABASE_URL;

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

const withAdmin = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
  const client = new Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
};

export const createTestDatabase = async (prefix = 'tt_test'): Promise<TestDatabase> => {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
};

/** A pool whose idle clients may lose their connection (a server restart, a dropped database) without crashing the test run. */
export const testPool = (url: string, max = 10): Pool => {
  const pool = new Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
};

/** A knex on a test database; `quiet` for tests that cut connections on purpose (knex would print each one). */
export const testKnex = (url: string, options: { max?: number; quiet?: boolean } = {}): Knex => {
  const quiet = () => undefined;
  return knexFactory({
    client: PipelinedPostgres,
    connection: pipelined({ connectionString: url }),
    pool: { min: 0, max: options.max ?? 10 },
    ...(options.quiet ? { log: { warn: quiet, error: quiet, debug: quiet, deprecate: quiet } } : {}),
  });
};

/** A fresh database with its tables, and a knex and a pool on it. */
export interface MigratedDatabase {
  database: TestDatabase;
  knex: Knex;
  pool: Pool;
  /** Ends the knex and the pool, then drops the database. */
  close(): Promise<void>;
}

/** A fresh database with `list` applied (every part's tables by default), and `size` connections each way. */
export const createMigratedDatabase = async (
  prefix: string,
  options: { migrations?: MigrationList; size?: number } = {},
): Promise<MigratedDatabase> => {
  const database = await createTestDatabase(prefix);
  const knex = testKnex(database.url, { max: options.size ?? 10 });
  await migrateToLatest(knex, options.migrations ?? migrations);
  const pool = testPool(database.url, options.size ?? 10);
  return {
    database,
    knex,
    pool,
    async close() {
      await pool.end();
      await knex.destroy();
      await database.drop();
    },
  };
};

/**
 * The PostgreSQL and Redis the bench runs against (`DATABASE_URL`, `REDIS_URL`, defaulting to the local servers),
 * and the fresh databases it makes on that PostgreSQL server and drops at the end.
 */
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface Services {
  /** The server's maintenance database: where databases are created and dropped. */
  serverUrl: string;
  redisUrl: string;
}

export const servicesFromEnv = (env: NodeJS.ProcessEnv = process.env): Services => ({
  serverUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
  redisUrl: env.REDIS_URL || DEFAULT_REDIS_URL,
});

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

const withAdmin = async <T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
};

/** A fresh database named `<prefix>_<suffix>` (letters, digits, underscores only). */
export const createDatabase = async (serverUrl: string, name: string): Promise<BenchDatabase> => {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  await withAdmin(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await withAdmin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
};

/** A run's name for its databases and channels: `bench_<utc time>_<random>`. */
export const runName = (now = new Date()): string =>
  `bench_${now.toISOString().replace(/\D/g, '').slice(0, 14)}_${Math.random().toString(36).slice(2, 6)}`;

export const benchKnex = (url: string, max = 5): Knex =>
  knexFactory({ client: 'pg', connection: url, pool: { min: 0, max } });

export const benchPool = (url: string, max = 10): pg.Pool => {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
};

import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { PipelinedPostgres, pipelined } from './pipelined';

// int8 (bigint/bigserial) as strings would leak into every read model; counts and revisions fit in a number,
// positions are built from text explicitly where 64 bits matter.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface PostgresClients {
  pool: pg.Pool;
  knex: Knex;
  close(): Promise<void>;
}

/** One pool for the event store's hot path, one knex for read models and migrations, both on the same database. */
export const createPostgresClients = (
  connectionString: string,
  options: { poolSize?: number; applicationName?: string } = {},
): PostgresClients => {
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'team-tracker',
    connectionTimeoutMillis: 5000,
  });
  pool.on('error', () => undefined); // an idle client lost its connection; the next query reconnects
  const knex = knexFactory({
    client: PipelinedPostgres,
    connection: pipelined({ connectionString, application_name: options.applicationName ?? 'team-tracker' }),
    pool: { min: 0, max: options.poolSize ?? 10 },
  });
  return {
    pool,
    knex,
    async close() {
      await Promise.all([pool.end(), knex.destroy()]);
    },
  };
};

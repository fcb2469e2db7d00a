/** A real write side on a fresh PostgreSQL database: event store, credentials, command handlers. */
import knexFactory, { type Knex } from 'knex';
import type pg from 'pg';
import { type Commands, createCommands } from '../../src/commands';
import { pgCredentialStore } from '../../src/commands/users/pg-credential-store';
import { scryptHasher } from '../../src/commands/users/password';
import { PgEventStore } from '../../src/eventstore/postgres/pg-event-store';
import { migrations } from '../../src/migrations';
import { membershipCount } from '../../src/projections/organizations/queries';
import { migrateToLatest } from '../../src/platform/migrator';
import { createTestDatabase, type TestDatabase, testPool } from './database';

export interface TestSystem {
  database: TestDatabase;
  pool: pg.Pool;
  knex: Knex;
  store: PgEventStore;
  commands: Commands;
  teardown(): Promise<void>;
}

export const createTestSystem = async (prefix = 'tt_sys'): Promise<TestSystem> => {
  const database = await createTestDatabase(prefix);
  const knex = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 5 } });
  await migrateToLatest(knex, migrations);
  const pool = testPool(database.url, 10);
  const store = new PgEventStore({ pool });
  const commands = createCommands({
    store,
    credentials: pgCredentialStore(knex),
    hasher: scryptHasher(10),
    memberships: { count: (userId) => membershipCount(knex, userId), limit: 1000 },
    options: { maxRetries: 20 },
  });
  return {
    database,
    pool,
    knex,
    store,
    commands,
    async teardown() {
      await store.close();
      await pool.end();
      await knex.destroy();
      await database.drop();
    },
  };
};

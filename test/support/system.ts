/** A real write side on a fresh PostgreSQL database: event store, credentials, command handlers. */
import type { Knex } from 'knex';
import type pg from 'pg';
import { type Commands, createCommands } from '../../src/commands';
import { pgCredentialStore } from '../../src/accounts/pg-credential-store';
import { scryptHasher } from '../../src/accounts/password';
import { PgEventStore } from '../../src/eventstore/postgres/pg-event-store';
import { membershipCount } from '../../src/projections/organizations/queries';
import { createMigratedDatabase, type TestDatabase } from './database';

export interface TestSystem {
  database: TestDatabase;
  pool: pg.Pool;
  knex: Knex;
  store: PgEventStore;
  commands: Commands;
  teardown(): Promise<void>;
}

export const createTestSystem = async (prefix = 'tt_sys'): Promise<TestSystem> => {
  const db = await createMigratedDatabase(prefix);
  const { database, knex, pool } = db;
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
      await db.close();
    },
  };
};

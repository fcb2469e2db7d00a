import { randomUUID } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import type { EventData, Position } from '../../../eventstore/port';
import { PgEventStore } from '../../../eventstore/postgres/pg-event-store';
import { eventStoreMigration } from '../../../eventstore/postgres/schema';
import { type MigrationList, migrateToLatest } from '../../../platform/migrator';
import { checkpointStoreMigration, checkpointsMigration } from '../schema';

/** The runner's tests only need the log and the checkpoints; read models bring their own tests. */
export const runnerMigrations: MigrationList = [
  ['0001_event_store', eventStoreMigration],
  ['0100_projector_checkpoints', checkpointsMigration],
  ['0101_projector_checkpoint_store', checkpointStoreMigration],
];

export interface Harness {
  database: TestDatabase;
  knex: Knex;
  pool: pg.Pool;
  store: PgEventStore;
  /** Another "process": its own knex, pool and store on the same database. */
  peer(): Promise<{ knex: Knex; store: PgEventStore; close(): Promise<void> }>;
  append(stream: string, events: EventData[]): Promise<Position>;
  close(): Promise<void>;
}

const clients = (url: string) => {
  const quiet = () => undefined; // tests kill connections on purpose; knex would print each one
  const knex = knexFactory({
    client: 'pg',
    connection: url,
    pool: { min: 0, max: 8 },
    log: { warn: quiet, error: quiet, debug: quiet, deprecate: quiet },
  });
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined);
  const store = new PgEventStore({ pool, pollIntervalMs: 200 });
  return {
    knex,
    pool,
    store,
    close: async () => {
      await store.close();
      await Promise.all([pool.end(), knex.destroy()]);
    },
  };
};

export const createHarness = async (prefix: string): Promise<Harness> => {
  const database = await createTestDatabase(prefix);
  const main = clients(database.url);
  await migrateToLatest(main.knex, runnerMigrations);
  const peers: Array<{ close(): Promise<void> }> = [];
  return {
    database,
    knex: main.knex,
    pool: main.pool,
    store: main.store,
    async peer() {
      const peer = clients(database.url);
      peers.push(peer);
      return peer;
    },
    async append(stream, events) {
      return (await main.store.appendToStream(stream, events)).position;
    },
    async close() {
      await Promise.all(peers.map((p) => p.close()));
      await main.close();
      await database.drop();
    },
  };
};

export const event = (type: string, data: unknown = {}): EventData => ({
  eventId: randomUUID(),
  type,
  data,
  metadata: {
    actorId: null,
    correlationId: randomUUID(),
    causationId: randomUUID(),
    commandId: randomUUID(),
    schemaVersion: 1,
    occurredAt: new Date().toISOString(),
  },
});

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds; fails the test after `timeoutMs` (a bound, not a performance claim). */
export const until = async (
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
};

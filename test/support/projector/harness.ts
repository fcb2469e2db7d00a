import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Knex } from 'knex';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase, testKnex, testPool } from '../database';
import type { EventData, Position } from '../../../src/eventstore/port';
import { PgEventStore } from '../../../src/eventstore/postgres/pg-event-store';
import { eventStoreMigrations } from '../../../src/eventstore/postgres/schema';
import { type MigrationList, migrateToLatest } from '../../../src/platform/migrator';
import type { Projector } from '../../../src/projections/runner/projector';
import { projectorMigrations } from '../../../src/projections/runner/schema';
import { createCounterTable } from './counter-projection';

/** The runner's tests only need the log and the checkpoints; read models bring their own tests. */
export const runnerMigrations: MigrationList = [...eventStoreMigrations, ...projectorMigrations];

export interface Harness {
  database: TestDatabase;
  knex: Knex;
  pool: pg.Pool;
  store: PgEventStore;
  /** Another "process": its own knex, pool and store on the same database. */
  peer(): Promise<{ knex: Knex; store: PgEventStore; close(): Promise<void> }>;
  append(stream: string, events: EventData[]): Promise<Position>;
  /** Starts the projector; `close()` stops it. */
  start(projector: Projector): Projector;
  /** Something the test opened (a position waiter, …) that `close()` closes first. */
  track<T extends { close(): Promise<void> }>(resource: T): T;
  /** Closes what it tracks, stops the projectors it started, closes the peers and drops the database. */
  close(): Promise<void>;
}

/** Tests kill connections on purpose: the clients stay quiet about it. */
const clients = (url: string) => {
  const knex = testKnex(url, { max: 8, quiet: true });
  const pool = testPool(url, 4);
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
  const projectors: Projector[] = [];
  const tracked: Array<{ close(): Promise<void> }> = [];
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
    start(projector) {
      projectors.push(projector);
      projector.start();
      return projector;
    },
    track(resource) {
      tracked.push(resource);
      return resource;
    },
    async close() {
      await Promise.all(tracked.splice(0).map((r) => r.close()));
      await Promise.all(projectors.splice(0).map((p) => p.stop()));
      await Promise.all(peers.map((p) => p.close()));
      await main.close();
      await database.drop();
    },
  };
};

/** What each test of a suite starts from besides the log and the checkpoints. */
export interface HarnessSetup {
  /** Tables of counter read models (counter-projection.ts), by projection name. */
  counterTables?: readonly string[];
  /** Anything else, after the counter tables. */
  prepare?: (h: Harness) => Promise<void>;
}

/**
 * The suite's harness, named in its describe block: a fresh one for each test (made before it and set up, ahead
 * of the suite's own beforeEach hooks; closed after it).
 */
export const useHarness = (prefix: string, setup: HarnessSetup = {}): Harness => {
  const h = {} as Harness;
  let current: Harness | null = null;
  beforeEach(async () => {
    current = await createHarness(prefix);
    Object.assign(h, current);
    for (const name of setup.counterTables ?? []) await createCounterTable(h.knex, name);
    await setup.prepare?.(h);
  });
  afterEach(async () => {
    const done = current;
    current = null;
    await done?.close();
  });
  return h;
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

export { setTimeout as sleep } from 'node:timers/promises';

/** Polls until `condition` holds; fails the test after `timeoutMs` (a bound, not a performance claim). */
export const until = async (
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
};

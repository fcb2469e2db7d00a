import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import type { Position, RecordedEvent } from '../../eventstore/port';
import { START } from '../../eventstore/port';
import { PgEventStore } from '../../eventstore/postgres/pg-event-store';
import { migrations } from '../../migrations';
import { migrateToLatest } from '../../platform/migrator';
import type { RoomMessage } from '../projection';
import { applyBatch } from './driver';
import { World } from './world';

export interface ReadModelTestbed {
  database: TestDatabase;
  knex: Knex;
  store: PgEventStore;
  world: World;
  /** Everything appended since the last call (or catch-up), in log order, without applying it. */
  readNew(): Promise<RecordedEvent[]>;
  /** Projects everything appended since the last call, in one batch; returns the messages it emitted. */
  catchUp(): Promise<RoomMessage[]>;
  close(): Promise<void>;
}

/** A fresh database with every migration, a PostgreSQL event store, and a World producing real events. */
export const readModelTestbed = async (prefix: string): Promise<ReadModelTestbed> => {
  const database = await createTestDatabase(prefix);
  const knex = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 5 } });
  await migrateToLatest(knex, migrations);
  const pool = new pg.Pool({ connectionString: database.url, max: 5 });
  const store = new PgEventStore({ pool });
  const world = new World(store);
  let projected: Position = START;
  const readNew = async (): Promise<RecordedEvent[]> => {
    // The store delivers only what is older than every running transaction of the whole server (other suites'
    // included), so the last append may need a moment to become readable.
    const target = world.lastPosition ?? START;
    const events: RecordedEvent[] = [];
    for (let waited = 0; (events[events.length - 1]?.position ?? projected) < target; waited += 10) {
      if (waited > 10_000) throw new Error(`the store did not deliver up to ${target}`);
      if (waited > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      events.push(...(await world.eventsAfter(events[events.length - 1]?.position ?? projected)));
    }
    projected = events[events.length - 1]?.position ?? projected;
    return events;
  };
  return {
    database,
    knex,
    store,
    world,
    readNew,
    async catchUp() {
      const events = await readNew();
      return events.length === 0 ? [] : applyBatch(knex, events);
    },
    async close() {
      await store.close();
      await pool.end();
      await knex.destroy();
      await database.drop();
    },
  };
};

/** What read-model tests run on: a fresh database, a PostgreSQL event store, and a World producing real events. */
import type { Knex } from 'knex';
import { setTimeout as delay } from 'node:timers/promises';
import type { Position, RecordedEvent } from '../../../src/eventstore/port';
import { START } from '../../../src/eventstore/port';
import { PgEventStore } from '../../../src/eventstore/postgres/pg-event-store';
import type { RoomMessage } from '../../../src/projections/projection';
import { createMigratedDatabase, type TestDatabase } from '../database';
import { applyBatch } from './batches';
import { World } from './world';

export interface ReadModelTestbed {
  database: TestDatabase;
  knex: Knex;
  store: PgEventStore;
  world: World;
  /** Everything appended after `from` (exclusive) up to the World's last append, in log order. */
  eventsAfter(from: Position): Promise<RecordedEvent[]>;
  /** Everything appended since the last call (or catch-up), in log order, without applying it. */
  readNew(): Promise<RecordedEvent[]>;
  /** Projects everything appended since the last call, in one batch; returns the messages it emitted. */
  catchUp(): Promise<RoomMessage[]>;
  close(): Promise<void>;
}

const PAGE = 1000;

export const readModelTestbed = async (prefix: string): Promise<ReadModelTestbed> => {
  const db = await createMigratedDatabase(prefix, { size: 5 });
  const store = new PgEventStore({ pool: db.pool });
  const world = new World(store);
  /** One read of the log after `from`, page by page. */
  const logAfter = async (from: Position): Promise<RecordedEvent[]> => {
    const all: RecordedEvent[] = [];
    for (let position = from; ; ) {
      const page = await store.readAll({ fromPosition: position, maxCount: PAGE });
      all.push(...page);
      if (page.length < PAGE) return all;
      position = page[page.length - 1]!.position;
    }
  };
  const eventsAfter = async (from: Position): Promise<RecordedEvent[]> => {
    // The store delivers only what is older than every running transaction of the whole server (other suites'
    // included), so the last append may need a moment to become readable.
    const target = world.lastPosition ?? START;
    const events: RecordedEvent[] = [];
    for (let waited = 0; (events[events.length - 1]?.position ?? from) < target; waited += 10) {
      if (waited > 10_000) throw new Error(`the store did not deliver up to ${target}`);
      if (waited > 0) await delay(10);
      events.push(...(await logAfter(events[events.length - 1]?.position ?? from)));
    }
    return events;
  };
  let projected: Position = START;
  const readNew = async (): Promise<RecordedEvent[]> => {
    const events = await eventsAfter(projected);
    projected = events[events.length - 1]?.position ?? projected;
    return events;
  };
  return {
    database: db.database,
    knex: db.knex,
    store,
    world,
    eventsAfter,
    readNew,
    async catchUp() {
      const events = await readNew();
      return events.length === 0 ? [] : applyBatch(db.knex, events);
    },
    async close() {
      await store.close();
      await db.close();
    },
  };
};

/**
 * The suite's testbed, named in its describe block: returned at once, made before the suite's first test (jest's
 * beforeAll, ahead of the suite's own) and closed after its last.
 */
export const useReadModelTestbed = (prefix: string): ReadModelTestbed => {
  const bed = {} as ReadModelTestbed;
  beforeAll(async () => {
    Object.assign(bed, await readModelTestbed(prefix));
  });
  afterAll(() => bed.close?.());
  return bed;
};

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import knexFactory from 'knex';
import pg from 'pg';
import { createTestDatabase, type TestDatabase, testPool } from '../../../test/support/database';
import { migrations } from '../../migrations';
import { migrateToLatest } from '../../platform/migrator';
import type { EventData, RecordedEvent } from '../port';
import { CURRENT_SCHEMA_VERSION, UPCASTERS } from '../../domain/upcasters';
import { upcasterChain } from '../upcasting';
import { PgEventStore } from './pg-event-store';

const event = (type: string, data: unknown = {}): EventData => ({
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

describe('PostgreSQL event store', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let store: PgEventStore;

  beforeAll(async () => {
    database = await createTestDatabase('tt_es_pg');
    const knex = knexFactory({ client: 'pg', connection: database.url });
    await migrateToLatest(knex, migrations);
    await knex.destroy();
    pool = testPool(database.url, 10);
    store = new PgEventStore({ pool });
  });

  afterAll(async () => {
    await store.close();
    await pool.end();
    await database.drop();
  });

  const subscribe = (s: PgEventStore, streamPrefix: string) => {
    const subscription = s.subscribeToAll({ filter: { on: 'streamName', prefixes: [streamPrefix] } });
    const delivered: RecordedEvent[] = [];
    const done = (async () => {
      for await (const message of subscription)
        if (message.kind === 'events') delivered.push(...message.events);
    })();
    return { subscription, delivered, done };
  };

  const until = async (condition: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await sleep(10);
    }
  };

  /** A connection of its own with a transaction open on it. */
  const openTransaction = async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('BEGIN');
    return client;
  };

  it('never skips an append whose transaction commits after later ones, and delivers in order', async () => {
    const prefix = `ooo${randomUUID().slice(0, 8)}`;
    const { subscription, delivered, done } = subscribe(store, prefix);

    // An append held open in a transaction: it takes its sequence number first and commits last.
    const held = await openTransaction();
    const heldStore = new PgEventStore({
      pool: held as unknown as pg.Pool,
      listenConfig: { connectionString: database.url },
    });
    const heldAppend = await heldStore.appendToStream(`${prefix}-held`, [event('Held')]);

    const later = [];
    for (let i = 0; i < 10; i++)
      later.push(await store.appendToStream(`${prefix}-later-${i}`, [event(`Later${i}`)]));
    // A reader ordering by sequence alone would have read these past the held event's sequence number.
    const { rows } = await pool.query<{ seq: number }>(
      "SELECT max(seq)::int AS seq FROM events WHERE stream_id LIKE $1 || '-later-%'",
      [prefix],
    );
    expect(rows[0]!.seq).toBeGreaterThan(0);

    await sleep(3000); // the held transaction stays open for seconds while the others are committed
    expect(delivered).toEqual([]); // nothing past the open transaction is delivered yet

    await held.query('COMMIT');
    await until(() => delivered.length === 11);
    expect(delivered.map((e) => e.type)).toEqual(['Held', ...later.map((_, i) => `Later${i}`)]);
    expect(delivered[0]!.position).toBe(heldAppend.position);
    const positions = delivered.map((e) => e.position);
    expect([...positions].sort()).toEqual(positions);

    await subscription.stop();
    await done;
    await heldStore.close();
    await held.end();
  });

  it('is delayed, not broken, by a long write transaction elsewhere in the database', async () => {
    const prefix = `long${randomUUID().slice(0, 8)}`;
    const { subscription, delivered, done } = subscribe(store, prefix);
    const other = await openTransaction();
    await other.query('CREATE TEMP TABLE unrelated (x int); INSERT INTO unrelated VALUES (1)');
    await store.appendToStream(`${prefix}-a`, [event('A')]);
    await sleep(1000);
    expect(delivered).toHaveLength(0);
    await other.query('ROLLBACK');
    await until(() => delivered.length === 1);
    expect(delivered[0]!.type).toBe('A');
    await subscription.stop();
    await done;
    await other.end();
  });

  it('wakes a subscriber in another process through NOTIFY, not polling', async () => {
    const prefix = `notify${randomUUID().slice(0, 8)}`;
    const otherPool = testPool(database.url, 2);
    const otherProcess = new PgEventStore({ pool: otherPool, pollIntervalMs: 60_000 });
    const { subscription, delivered, done } = subscribe(otherProcess, prefix);
    await sleep(300); // subscribed and listening, idle
    await store.appendToStream(`${prefix}-a`, [event('Woken')]);
    await until(() => delivered.length === 1, 5_000); // far less than the 60 s poll interval
    await subscription.stop();
    await done;
    await otherProcess.close();
    await otherPool.end();
  });

  it('returns the last position of an append whose sequence numbers gain a digit', async () => {
    await pool.query('ALTER TABLE events ALTER COLUMN seq RESTART WITH 99995');
    const id = `digits-${randomUUID()}`;
    const result = await store.appendToStream(
      id,
      Array.from({ length: 10 }, (_, i) => event(`D${i}`)),
    );
    const events = await store.readStream(id);
    expect(result.position).toBe(events[9]!.position);
  });

  it('pages through a long log without skipping, whatever the digits of the sequence numbers', async () => {
    await pool.query('ALTER TABLE events ALTER COLUMN seq RESTART WITH 999500'); // the append crosses 999999
    const id = `long-${randomUUID()}`;
    const { position } = await store.appendToStream(
      id,
      Array.from({ length: 1100 }, (_, i) => event(`L${i}`)),
    );
    const deadline = Date.now() + 15_000;
    while ((await store.headPosition()) < position) {
      if (Date.now() > deadline) throw new Error('head never reached the append');
      await sleep(20);
    }
    expect(await store.headPosition()).toBe(position);
    const read: RecordedEvent[] = [];
    let from: string | undefined;
    for (;;) {
      const page = await store.readAll({
        fromPosition: from,
        maxCount: 500,
        filter: { on: 'streamName', prefixes: [id] },
      });
      read.push(...page);
      if (page.length < 500) break;
      from = page[page.length - 1]!.position;
    }
    expect(read.map((e) => e.type)).toEqual(Array.from({ length: 1100 }, (_, i) => `L${i}`));
    const unfiltered: RecordedEvent[] = [];
    from = undefined;
    for (;;) {
      const page = await store.readAll({ fromPosition: from, maxCount: 300 });
      unfiltered.push(...page);
      if (page.length < 300) break;
      from = page[page.length - 1]!.position;
    }
    const positions = unfiltered.map((e) => e.position);
    expect([...positions].sort()).toEqual(positions);
    expect(unfiltered.filter((e) => e.streamId === id)).toHaveLength(1100);
  });

  it('appends any number of events in one round trip', async () => {
    const counting = testPool(database.url, 2);
    let queries = 0;
    const original = counting.query.bind(counting);
    counting.query = ((...args: Parameters<typeof original>) => {
      queries += 1;
      return original(...args);
    }) as typeof counting.query;
    const s = new PgEventStore({ pool: counting });
    const before = queries;
    await s.appendToStream(
      `rt-${randomUUID()}`,
      Array.from({ length: 50 }, (_, i) => event(`E${i}`)),
      {
        expectedRevision: 'no_stream',
      },
    );
    // One statement for the append; the coalesced NOTIFY goes out after it, off the caller's path.
    const appendQueries = queries - before;
    expect(appendQueries).toBeLessThanOrEqual(2);
    await s.close();
    await counting.end();
  });

  it('upcasts a stored old IssueCreated payload (schema version 0) to the current shape on read', async () => {
    const issueId = randomUUID();
    const id = `issue-${issueId}`;
    const old = {
      id: issueId,
      project: randomUUID(),
      org: randomUUID(),
      title: 'Written long ago',
      body: null,
      status: 'blocked',
      priority: 'high',
      due: '2020-02-29',
      assignee: null,
      author: randomUUID(),
    };
    await pool.query(
      `INSERT INTO events (stream_id, revision, event_id, type, data, metadata) VALUES ($1, 0, $2, 'IssueCreated', $3, $4)`,
      [id, randomUUID(), JSON.stringify(old), JSON.stringify({ ...event('x').metadata, schemaVersion: 0 })],
    );
    const upcasting = new PgEventStore({ pool, upcast: upcasterChain(UPCASTERS) });
    const [read] = await upcasting.readStream(id);
    expect(read).toMatchObject({
      type: 'IssueCreated',
      metadata: { schemaVersion: CURRENT_SCHEMA_VERSION.IssueCreated },
      data: {
        issueId,
        projectId: old.project,
        organizationId: old.org,
        title: 'Written long ago',
        description: '',
        status: 'blocked',
        priority: 'high',
        dueDate: '2020-02-29',
        assigneeId: null,
        createdBy: old.author,
      },
    });
    const [raw] = await store.readStream(id);
    expect(raw).toMatchObject({ data: old, metadata: { schemaVersion: 0 } }); // stored events are never rewritten
    await upcasting.close();
  });
});

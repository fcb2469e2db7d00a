/**
 * Append only: the event store port (PostgreSQL adapter), one event per append with the expected revision, from
 * `connections` concurrent writers each on its own stream; against plain INSERTs of the same row shape into a
 * table with the same unique (stream_id, revision), through the same pool size. Both in the bench process, on a
 * database of their own (the app's projector must not read these events).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { eventStoreMigrations } from '../../src/eventstore/postgres/schema';
import { PgEventStore } from '../../src/eventstore/postgres/pg-event-store';
import type { EventData } from '../../src/eventstore/port';
import { migrateToLatest } from '../../src/platform/migrator';
import { type LoopResult, closedLoop } from '../core/closed-loop';
import type { Context } from '../core/context';
import { ms, perSecond, times } from '../core/figures';
import { interleave, medianOf, medianRatio } from '../core/interleave';
import type { Row, RowOutcome } from '../core/row';
import { benchKnex, benchPool } from '../core/services';

const TARGET_RATIO = 0.6;

/** The events table's shape, under another name, with nothing of the store around it. */
const PLAIN_TABLE = `
  CREATE TABLE plain_events (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id text NOT NULL,
    revision bigint NOT NULL,
    event_id uuid NOT NULL,
    type text NOT NULL,
    data jsonb NOT NULL,
    metadata jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tx_id, seq),
    UNIQUE (stream_id, revision)
  )`;

const PLAIN_INSERT = {
  name: 'bench_plain_insert',
  text: `INSERT INTO plain_events (stream_id, revision, event_id, type, data, metadata)
         VALUES ($1, $2, $3, $4, $5, $6)`,
};

const benchEvent = (n: number): EventData => ({
  eventId: randomUUID(),
  type: 'BenchAppended',
  data: { issueId: randomUUID(), title: 'Bench event', n },
  metadata: {
    actorId: null,
    correlationId: randomUUID(),
    causationId: randomUUID(),
    commandId: randomUUID(),
    schemaVersion: 1,
    occurredAt: new Date().toISOString(),
  },
});

interface Setup {
  pool: pg.Pool;
  store: PgEventStore;
}

const setUp = (ctx: Context): Promise<Setup> =>
  ctx.once('append', async () => {
    const database = await ctx.freshDatabase('append');
    const knex = benchKnex(database.url);
    await migrateToLatest(knex, eventStoreMigrations);
    await knex.raw(PLAIN_TABLE);
    await knex.destroy();
    const pool = benchPool(database.url, ctx.sizes.connections);
    const store = new PgEventStore({ pool });
    ctx.onClose(() => pool.end());
    ctx.onClose(() => store.close());
    return { pool, store };
  });

let streamsMade = 0;

/** Each writer appends to its own stream, expecting the revision it wrote last. */
const storeAppends = (store: PgEventStore, seconds: number, workers: number): Promise<LoopResult> => {
  const prefix = `bench-${++streamsMade}`;
  const revisions = new Map<number, number>();
  return closedLoop(workers, seconds, async (w, i) => {
    const expected = revisions.get(w) ?? 'no_stream';
    const result = await store.appendToStream(`${prefix}-${w}`, [benchEvent(i)], {
      expectedRevision: expected,
    });
    revisions.set(w, result.nextRevision);
  });
};

const plainInserts = (pool: pg.Pool, seconds: number, workers: number): Promise<LoopResult> => {
  const prefix = `plain-${++streamsMade}`;
  return closedLoop(workers, seconds, async (w, i) => {
    const e = benchEvent(i);
    await pool.query({
      ...PLAIN_INSERT,
      values: [`${prefix}-${w}`, i, e.eventId, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata)],
    });
  });
};

const run = async (ctx: Context): Promise<RowOutcome> => {
  const { pool, store } = await setUp(ctx);
  const { sizes } = ctx;
  const workers = sizes.connections;
  const pairs = await interleave<LoopResult>({
    pairs: sizes.pairs,
    warmup: async () => {
      await plainInserts(pool, sizes.warmupSeconds, workers);
      await storeAppends(store, sizes.warmupSeconds, workers);
    },
    baseline: () => plainInserts(pool, sizes.measureSeconds, workers),
    system: () => storeAppends(store, sizes.measureSeconds, workers),
    onStep: (step) => ctx.progress.step(step),
  });
  const ratio = medianRatio(pairs, (r) => r.rate);
  const figures = {
    ratio,
    appendsPerSecond: medianOf(pairs, 'system', (r) => r.rate),
    insertsPerSecond: medianOf(pairs, 'baseline', (r) => r.rate),
    appendP50Ms: medianOf(pairs, 'system', (r) => r.p50),
    appendP99Ms: medianOf(pairs, 'system', (r) => r.p99),
    insertP50Ms: medianOf(pairs, 'baseline', (r) => r.p50),
    insertP99Ms: medianOf(pairs, 'baseline', (r) => r.p99),
    writers: workers,
  };
  const failed = pairs.flatMap((p) => [p.baseline, p.system]).find((r) => r.failures > 0);
  return {
    holds: ratio >= TARGET_RATIO,
    summary: `${times(ratio)} (${perSecond(figures.appendsPerSecond, 'appends/s')}, p99 ${ms(figures.appendP99Ms)})`,
    baselineSummary: `${perSecond(figures.insertsPerSecond, 'inserts/s')}, p99 ${ms(figures.insertP99Ms)}`,
    figures,
    pairs,
    notes: failed ? [`${failed.failures} failed operations, e.g. ${failed.firstError}`] : [],
  };
};

export const appendRow: Row = {
  name: 'append',
  what: 'append only (event store port, 1 event, expected revision)',
  target: `≥ ${TARGET_RATIO} × baseline`,
  baseline: 'plain multi-client INSERT of the same row shape, unique (stream_id, revision), same pool size',
  run,
};

/**
 * Rebuild a read model from the log: `project_rooms` (projects, issues and their feed) rebuilt into shadow tables
 * and swapped in, as `npm run projections:rebuild` does, in the bench process, on a log of its own (./data/rebuild-log.ts).
 * Baseline: a keyset scan of the same events table, in pages of the rebuild's batch size, rows parsed as the
 * store parses them. Both in events of the log per second.
 */
import type pg from 'pg';
import { UPCASTERS } from '../../src/domain/upcasters';
import { PgEventStore } from '../../src/eventstore/postgres/pg-event-store';
import { upcasterChain } from '../../src/eventstore/upcasting';
import type { Projection } from '../../src/projections/projection';
import { readModels } from '../../src/projections/read-models';
import { rebuildProjection } from '../../src/projections/runner/rebuild/rebuild-projection';
import type { Context } from '../core/context';
import { perSecond, times } from '../core/figures';
import { interleave, medianOf, medianRatio } from '../core/interleave';
import type { Row, RowOutcome } from '../core/row';
import { type RebuildLog, rebuildLog } from '../data/rebuild-log';

const TARGET = 50_000;
const STRETCH = 100_000;
const BATCH = 5000;
const REBUILT = 'project_rooms';

interface Sample {
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

const sample = (events: number, seconds: number): Sample => ({
  events,
  seconds,
  eventsPerSecond: events / seconds,
});

const projectionNamed = (name: string): Projection => {
  const found = readModels.find((p) => p.name === name);
  if (!found) throw new Error(`no read model named ${name}`);
  return found;
};

/**
 * Reads the whole log in keyset pages. The ORDER BY names the table's columns (the select list casts them to text
 * under the same names, and would sort those strings); the page size is written into the statement, so the
 * prepared statement's generic plan knows a page from the rest of the log.
 */
const scan = async (pool: pg.Pool): Promise<Sample> => {
  const started = performance.now();
  let from = { tx: '0', seq: '0' };
  let events = 0;
  for (;;) {
    const { rows } = await pool.query<{ tx_id: string; seq: string }>({
      name: 'bench_keyset_scan',
      text: `SELECT seq::text AS seq, tx_id::text AS tx_id, stream_id, revision, event_id, type, data, metadata, recorded_at
             FROM events WHERE (tx_id, seq) > ($1::text::xid8, $2::bigint) ORDER BY events.tx_id, events.seq LIMIT ${BATCH}`,
      values: [from.tx, from.seq],
    });
    events += rows.length;
    const last = rows[rows.length - 1];
    if (!last) break;
    from = { tx: last.tx_id, seq: last.seq };
  }
  return sample(events, (performance.now() - started) / 1000);
};

const rebuild = async (log: RebuildLog, store: PgEventStore, name: string): Promise<Sample> => {
  const result = await rebuildProjection({
    store,
    knex: log.knex,
    projection: projectionNamed(name),
    fresh: true,
    batchSize: BATCH,
  });
  return sample(log.events, result.elapsedMs / 1000);
};

const storeOn = (log: RebuildLog) => new PgEventStore({ pool: log.pool, upcast: upcasterChain(UPCASTERS) });

/** The read models project_rooms reads (usernames), as a live projector would have left them. */
const buildReadModelsItReads = async (log: RebuildLog): Promise<void> => {
  const store = storeOn(log);
  try {
    for (const name of ['users', 'organizations']) await rebuild(log, store, name);
  } finally {
    await store.close();
  }
};

const run = async (ctx: Context): Promise<RowOutcome> => {
  const log = await rebuildLog(ctx, (templates) => {
    ctx.progress.step('building users and organizations');
    return buildReadModelsItReads(templates);
  });
  const store = storeOn(log);
  ctx.onClose(() => store.close());
  const pairs = await interleave<Sample>({
    pairs: ctx.sizes.pairs,
    baseline: () => scan(log.pool),
    system: () => rebuild(log, store, REBUILT),
    onStep: (step) => ctx.progress.step(`${log.events} events: ${step}`),
  });
  const rate = medianOf(pairs, 'system', (r) => r.eventsPerSecond);
  const figures = {
    events: log.events,
    rebuildEventsPerSecond: rate,
    scanEventsPerSecond: medianOf(pairs, 'baseline', (r) => r.eventsPerSecond),
    ratio: medianRatio(pairs, (r) => r.eventsPerSecond),
    stretchHolds: rate >= STRETCH,
  };
  return {
    holds: rate >= TARGET,
    summary: `${perSecond(rate, 'events/s')} over ${log.events} events (${times(figures.ratio)} the scan)`,
    baselineSummary: perSecond(figures.scanEventsPerSecond, 'events/s'),
    figures,
    pairs,
    notes: [],
  };
};

export const rebuildRow: Row = {
  name: 'rebuild',
  what: `rebuild a read model from the log (${REBUILT})`,
  target: `≥ ${TARGET} events/s (stretch ${STRETCH})`,
  baseline: 'a keyset scan of the events table (events/s read)',
  run,
};

/**
 * Projection lag, append commit → read model commit, with creates at half of the peak running behind. A probe
 * appends a real event (an IssueTitleChanged of the bench's own issue) through the event store port, as a separate
 * API process would, and times from the append's acknowledgement to the projector's NOTIFY of a checkpoint at or
 * past it (sent when its batch commits). Baseline: a NOTIFY → LISTEN round trip on the same server, same load.
 * (Should the bench's event loop take the notification before the append's acknowledgement, the lag reads as
 * negative: the figures then say the acknowledgement, not the projector, was slow.)
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { EventData, EventMetadata } from '../../src/eventstore/port';
import { PgEventStore } from '../../src/eventstore/postgres/pg-event-store';
import { PROJECTIONS_CHANNEL } from '../../src/projections/runner/projector-options';
import { startBackground } from '../core/background';
import { sleep, wallMs } from '../core/clock';
import type { Context, Fixtures } from '../core/context';
import { ms, times } from '../core/figures';
import { interleave, medianOf, medianRatio } from '../core/interleave';
import { type Arrivals, watchNotifications } from '../core/notifications';
import type { Row, RowOutcome } from '../core/row';
import { benchPool } from '../core/services';
import { type Latencies, latencies } from '../core/stats';
import { peakCreateRate } from './create';

const TARGET_P99_MS = 50;
const PROBE_GAP_MS = 10;
interface Probe {
  stream: string;
  revision: number;
  template: EventData;
}

/** The bench's own issue, with one real title change to copy the event's shape from. */
const makeProbe = async (ctx: Context, fixtures: Fixtures): Promise<Probe> => {
  const issue = await fixtures.api.issue(fixtures.owner, fixtures.project, 'probe');
  await fixtures.api.patchIssue(fixtures.owner, issue, { title: 'probe 0' });
  const row = await ctx
    .knex('events')
    .select('type', 'data', 'metadata', 'revision')
    .where({ stream_id: `issue-${issue}` })
    .orderBy('revision', 'desc')
    .first();
  return { stream: `issue-${issue}`, revision: Number(row.revision), template: row as EventData };
};

const titleChange = (probe: Probe, n: number): EventData => {
  const metadata = probe.template.metadata as EventMetadata;
  const id = randomUUID();
  return {
    type: probe.template.type,
    data: { ...(probe.template.data as object), title: `probe ${n}`, previousTitle: `probe ${n - 1}` },
    metadata: {
      ...metadata,
      commandId: id,
      correlationId: id,
      causationId: id,
      occurredAt: new Date().toISOString(),
    },
  };
};

/** Runs `sample` one after another for `seconds`, a short gap between; returns the latencies. */
const sampleFor = async (seconds: number, sample: () => Promise<number>): Promise<Latencies> => {
  const values: number[] = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    values.push(await sample());
    await sleep(PROBE_GAP_MS);
  }
  return latencies(values);
};

interface Rig {
  store: PgEventStore;
  pool: pg.Pool;
  events: Arrivals;
  probe: Probe;
  pingChannel: string;
}

const setUp = async (ctx: Context): Promise<Rig> => {
  const fixtures = await ctx.fixtures();
  const pingChannel = `${ctx.runName}_ping`;
  const client = new pg.Client({ connectionString: ctx.database.url });
  await client.connect();
  ctx.onClose(() => client.end());
  await client.query(`LISTEN ${PROJECTIONS_CHANNEL}`);
  await client.query(`LISTEN ${pingChannel}`);
  const pool = benchPool(ctx.database.url, 2);
  const store = new PgEventStore({ pool });
  ctx.onClose(() => pool.end());
  ctx.onClose(() => store.close());
  return {
    store,
    pool,
    events: watchNotifications(client, PROJECTIONS_CHANNEL, pingChannel),
    probe: await makeProbe(ctx, fixtures),
    pingChannel,
  };
};

let probes = 0;

const appendToCommit = async (rig: Rig): Promise<number> => {
  const { probe } = rig;
  const event = titleChange(probe, ++probes);
  const result = await rig.store.appendToStream(probe.stream, [event], { expectedRevision: probe.revision });
  const acknowledged = wallMs();
  probe.revision = result.nextRevision;
  return (await rig.events.committed(result.position)) - acknowledged;
};

const notifyToListen = async (rig: Rig): Promise<number> => {
  const id = String(++probes);
  const arrived = rig.events.pinged(id);
  const sent = wallMs();
  await rig.pool.query('SELECT pg_notify($1, $2)', [rig.pingChannel, id]);
  return (await arrived) - sent;
};

const run = async (ctx: Context): Promise<RowOutcome> => {
  const rate = (await peakCreateRate(ctx)) / 2;
  const rig = await setUp(ctx);
  const fixtures = await ctx.fixtures();
  const { sizes } = ctx;
  const load = startBackground(fixtures.createIssue, { connections: sizes.connections, rate });
  const pairs = await interleave<Latencies>({
    pairs: sizes.pairs,
    warmup: async () => {
      await sampleFor(sizes.warmupSeconds, () => notifyToListen(rig));
      await sampleFor(sizes.warmupSeconds, () => appendToCommit(rig));
    },
    baseline: () => sampleFor(sizes.measureSeconds, () => notifyToListen(rig)),
    system: () => sampleFor(sizes.measureSeconds, () => appendToCommit(rig)),
    onStep: (step) => ctx.progress.step(`at ${Math.round(rate)} creates/s: ${step}`),
  }).finally(() => load.stop());
  const background = await load.stop();
  const p99 = medianOf(pairs, 'system', (r) => r.p99);
  const figures = {
    lagP50Ms: medianOf(pairs, 'system', (r) => r.p50),
    lagP99Ms: p99,
    notifyP50Ms: medianOf(pairs, 'baseline', (r) => r.p50),
    notifyP99Ms: medianOf(pairs, 'baseline', (r) => r.p99),
    p50Ratio: medianRatio(pairs, (r) => r.p50),
    p99Ratio: medianRatio(pairs, (r) => r.p99),
    backgroundRate: rate,
    backgroundAchievedRps: background.rps,
    probesPerPair: medianOf(pairs, 'system', (r) => r.count),
  };
  return {
    holds: p99 <= TARGET_P99_MS,
    summary: `p50 ${ms(figures.lagP50Ms)}, p99 ${ms(p99)} (${times(figures.p99Ratio)} baseline p99)`,
    baselineSummary: `p50 ${ms(figures.notifyP50Ms)}, p99 ${ms(figures.notifyP99Ms)}`,
    figures,
    pairs,
    notes: background.failures > 0 ? [`background creates: ${background.failures} failed`] : [],
  };
};

export const lagRow: Row = {
  name: 'lag',
  what: 'projection lag, append commit → read model commit',
  target: `p99 ≤ ${TARGET_P99_MS} ms at half of peak load`,
  baseline: 'PostgreSQL NOTIFY → LISTEN round trip, same load',
  run,
};

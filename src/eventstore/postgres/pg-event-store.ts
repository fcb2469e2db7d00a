import { createHash, randomUUID } from 'node:crypto';
import type { ClientConfig, Pool, QueryResultRow } from 'pg';
import {
  type AllSubscription,
  type AppendOptions,
  type AppendResult,
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_READ_ALL_COUNT,
  type EventData,
  type EventFilter,
  EventStoreUnavailableError,
  type EventStore,
  type ExpectedRevision,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type StreamAt,
  type SubscriptionMessage,
  START,
  WrongExpectedRevisionError,
  decodePosition,
  encodePosition,
  meetsExpectation,
} from '../port';
import { noUpcast, type Upcast } from '../upcasting';
import { Wakeup } from './wakeup';
import { isPostgresUnavailable } from '../../shared/postgres-errors';

export interface PgEventStoreOptions {
  pool: Pool;
  /** For the dedicated LISTEN connection; defaults to the pool's own settings. */
  listenConfig?: ClientConfig;
  upcast?: Upcast;
  /** NOTIFY channel; one per database is enough. */
  channel?: string;
  /** How often a subscription looks for events when no notification comes (a fallback). */
  pollIntervalMs?: number;
}

const COLUMNS =
  'seq::text AS seq, tx_id::text AS tx_id, stream_id, revision, event_id, type, data, metadata, recorded_at';

/** Only what every transaction older than the oldest still running wrote: nothing can commit below it later. */
const HORIZON = 'pg_snapshot_xmin(pg_current_snapshot())';

// One statement per append, however many events it carries. The unique (stream_id, revision) index is the
// concurrency check: of two writers that read the same revision, the second to commit violates it. The base
// revision is what the caller expects, or read in the same statement for `stream_exists` and `any`.
const BASE: Record<'exact' | 'no_stream' | 'stream_exists' | 'any', string> = {
  // The expected revision must exist: appending after it then fails on the index unless it is the last one.
  exact:
    '(SELECT $2::bigint AS base WHERE EXISTS (SELECT 1 FROM events WHERE stream_id = $1 AND revision = $2))',
  no_stream: '(SELECT -1::bigint AS base)',
  stream_exists: '(SELECT max(revision) AS base FROM events WHERE stream_id = $1 HAVING count(*) > 0)',
  any: '(SELECT coalesce(max(revision), -1) AS base FROM events WHERE stream_id = $1)',
};

/**
 * The streams a decision read must still be where it read them: each is one backwards probe of the
 * (stream_id, revision) index, in the same statement and snapshot as the base revision.
 */
const unchangedSql = (p: number): string => `
    WHERE NOT EXISTS (
      SELECT 1 FROM unnest($${p}::text[], $${p + 1}::bigint[]) AS c(stream_id, revision)
      WHERE c.revision <> coalesce((SELECT max(x.revision) FROM events x WHERE x.stream_id = c.stream_id), -1))`;

const appendSql = (base: string, p: number, unchanged: boolean): string => `
  WITH e AS (
    INSERT INTO events (stream_id, revision, event_id, type, data, metadata)
    SELECT $1, b.base + u.ord, u.event_id, u.type, u.data, u.metadata
    FROM ${base} AS b,
         unnest($${p}::uuid[], $${p + 1}::text[], $${p + 2}::jsonb[], $${p + 3}::jsonb[])
           WITH ORDINALITY AS u(event_id, type, data, metadata, ord)${unchanged ? unchangedSql(p + 4) : ''}
    ORDER BY u.ord
    RETURNING seq, tx_id, revision
  )
  SELECT e.seq::text AS seq, e.tx_id::text AS tx_id, e.revision FROM e ORDER BY e.seq DESC LIMIT 1`;

type Expectation = keyof typeof BASE;

const APPEND_SQL = Object.fromEntries(
  (Object.keys(BASE) as Expectation[]).map((expected) => {
    const p = expected === 'exact' ? 3 : 2;
    return [expected, [appendSql(BASE[expected], p, false), appendSql(BASE[expected], p, true)] as const];
  }),
) as Record<Expectation, readonly [plain: string, unchanged: string]>;

/** How often `any` and `stream_exists` appends retry after losing a race (the caller named no revision). */
const RACE_RETRIES = 20;

const isRevisionTaken = (error: unknown): boolean =>
  (error as { code?: string; constraint?: string })?.code === '23505' &&
  (error as { constraint?: string }).constraint === 'events_stream_revision';

interface EventRow extends QueryResultRow {
  seq: string;
  tx_id: string;
  stream_id: string;
  revision: string;
  event_id: string;
  type: string;
  data: unknown;
  metadata: RecordedEvent['metadata'];
  recorded_at: Date;
  held_back: null;
}

interface MetaRow extends QueryResultRow {
  seq: null;
  held_back: boolean;
  head: string | null;
}

const positionOf = (row: { tx_id: string; seq: string }): Position =>
  encodePosition(BigInt(row.tx_id), BigInt(row.seq));

const filterSql = (filter: EventFilter | undefined, params: unknown[]): string => {
  if (!filter || filter.prefixes.length === 0) return '';
  params.push(filter.prefixes.map((p) => `${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  const column = filter.on === 'eventType' ? 'type' : 'stream_id';
  return ` AND ${column} LIKE ANY ($${params.length}::text[])`;
};

/** The PostgreSQL adapter of the event store port (the embedded default, and a production option). */
export class PgEventStore implements EventStore {
  readonly kind = 'postgresql';
  private readonly pool: Pool;
  private readonly upcast: Upcast;
  private readonly wakeup: Wakeup;
  private readonly pollIntervalMs: number;
  private readonly subscriptions = new Set<AllSubscription>();
  private readonly statementNames = new Map<string, string>();

  constructor(options: PgEventStoreOptions) {
    this.pool = options.pool;
    this.upcast = options.upcast ?? noUpcast;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    const listenConfig =
      options.listenConfig ?? (options.pool as unknown as { options: ClientConfig }).options;
    this.wakeup = new Wakeup(options.pool, listenConfig, options.channel ?? 'tt_events');
  }

  async appendToStream(
    streamId: string,
    events: readonly EventData[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    const unchanged = options.unchanged ?? [];
    if (events.length === 0) return this.checkEmptyAppend(streamId, expected, unchanged);
    const params: unknown[] = typeof expected === 'number' ? [streamId, expected] : [streamId];
    params.push(
      events.map((e) => e.eventId ?? randomUUID()),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => JSON.stringify(e.metadata)),
    );
    if (unchanged.length > 0)
      params.push(
        unchanged.map((s) => s.streamId),
        unchanged.map((s) => s.revision),
      );
    const sql = APPEND_SQL[typeof expected === 'number' ? 'exact' : expected][unchanged.length > 0 ? 1 : 0];
    for (let attempt = 0; ; attempt++) {
      let row: { seq: string; tx_id: string; revision: string } | undefined;
      try {
        row = (await this.query<{ seq: string; tx_id: string; revision: string }>(sql, params)).rows[0];
      } catch (error) {
        if (!isRevisionTaken(error)) throw error;
        // `any` and `stream_exists` read the base in the statement: a writer that got in between is no conflict.
        if ((expected === 'any' || expected === 'stream_exists') && attempt < RACE_RETRIES) continue;
      }
      if (!row) {
        await this.checkUnchanged(unchanged);
        throw new WrongExpectedRevisionError(streamId, expected, await this.streamRevision(streamId));
      }
      this.wakeup.notifyCommitted();
      return { nextRevision: Number(row.revision), position: positionOf(row) };
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const params: unknown[] = [streamId];
    let where = 'stream_id = $1';
    if (options.fromRevision !== undefined) {
      params.push(options.fromRevision);
      where += ` AND revision ${backwards ? '<=' : '>='} $${params.length}`;
    }
    let limit = '';
    if (options.maxCount !== undefined) {
      params.push(options.maxCount);
      limit = ` LIMIT $${params.length}`;
    }
    const { rows } = await this.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE ${where} ORDER BY revision ${backwards ? 'DESC' : 'ASC'}${limit}`,
      params,
    );
    return rows.map((row) => this.toRecorded(row));
  }

  async streamRevision(streamId: string): Promise<number | null> {
    const { rows } = await this.query<{ revision: string | null }>(
      'SELECT max(revision) AS revision FROM events WHERE stream_id = $1',
      [streamId],
    );
    return rows[0]?.revision == null ? null : Number(rows[0].revision);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const { events } = await this.readAfter(
      options.fromPosition ?? START,
      options.maxCount ?? DEFAULT_READ_ALL_COUNT,
      options.filter,
    );
    return events;
  }

  async headPosition(): Promise<Position> {
    const { rows } = await this.query<{ seq: string; tx_id: string }>(
      `SELECT events.seq::text AS seq, events.tx_id::text AS tx_id FROM events WHERE events.tx_id < ${HORIZON}
       ORDER BY events.tx_id DESC, events.seq DESC LIMIT 1`,
    );
    return rows[0] ? positionOf(rows[0]) : START;
  }

  subscribeToAll(options: SubscribeOptions = {}): AllSubscription {
    let stopped = false;
    const maxBatch = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
    const store = this;
    const subscription: AllSubscription = {
      async stop() {
        stopped = true;
        store.subscriptions.delete(subscription);
        store.wakeup.bump();
      },
      async *[Symbol.asyncIterator](): AsyncGenerator<SubscriptionMessage> {
        await store.wakeup.listen();
        let position = options.fromPosition ?? START;
        let caughtUp = false;
        let backoff = 0;
        while (!stopped) {
          const seen = store.wakeup.current;
          const { events, heldBack, scanned } = await store.readAfter(position, maxBatch, options.filter);
          if (stopped) return;
          if (events.length > 0) {
            position = events[events.length - 1]!.position;
            yield { kind: 'events', events };
          }
          if (scanned && scanned > position) position = scanned;
          if (events.length === maxBatch) {
            caughtUp = false;
            continue;
          }
          if (!caughtUp && !heldBack) {
            caughtUp = true;
            yield { kind: 'caughtUp', position };
          }
          // Events committed above the horizon wait for an older transaction: look again soon.
          backoff = heldBack ? Math.min(backoff === 0 ? 5 : backoff * 2, 250) : 0;
          await store.wakeup.wait(seen, heldBack ? backoff : store.pollIntervalMs);
        }
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.wakeup.close();
  }

  /**
   * Reads in log order after `from`, never past the horizon. Also says whether committed events wait beyond
   * the horizon (look again soon rather than wait for a notification) and, for a filtered read that found
   * fewer than it asked for, the last position it scanned, so a filtered reader moves past what it skips.
   */
  private async readAfter(
    from: Position,
    maxCount: number,
    filter: EventFilter | undefined,
  ): Promise<{ events: RecordedEvent[]; heldBack: boolean; scanned: Position | null }> {
    const { high, low } = decodePosition(from);
    const params: unknown[] = [high.toString(), low.toString(), maxCount];
    const filterClause = filterSql(filter, params);
    const head = filterClause
      ? `(SELECT e.tx_id::text || '-' || e.seq::text FROM events e WHERE e.tx_id < h.horizon
          ORDER BY e.tx_id DESC, e.seq DESC LIMIT 1)`
      : 'NULL::text';
    // One statement, so one snapshot for the horizon and the rows; the last row carries the flags. Orderings
    // name the table's columns: the select list casts them to text under the same names, and ORDER BY would
    // otherwise sort those strings ('1000' before '999') and LIMIT keep the wrong rows.
    // "Held back" asks whether the log's last event is past `from` and beyond the horizon: if any such event
    // exists, the last one is one, and that is one backwards index probe instead of a scan.
    const { rows } = await this.query<EventRow | MetaRow>(
      `WITH h AS (SELECT ${HORIZON} AS horizon)
       (SELECT ${COLUMNS}, NULL::boolean AS held_back, NULL::text AS head FROM events, h
         WHERE (tx_id, seq) > ($1::text::xid8, $2::bigint) AND tx_id < h.horizon${filterClause}
         ORDER BY events.tx_id, events.seq LIMIT $3)
       UNION ALL
       SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         coalesce((SELECT (l.tx_id, l.seq) > ($1::text::xid8, $2::bigint) AND l.tx_id >= h.horizon
                   FROM events l ORDER BY l.tx_id DESC, l.seq DESC LIMIT 1), false),
         ${head}
       FROM h`,
      params,
    );
    const meta = rows.find((r): r is MetaRow => r.held_back !== null);
    const events = rows
      .filter((r): r is EventRow => r.held_back === null)
      .map((row) => this.toRecorded(row))
      .sort((a, b) => (a.position < b.position ? -1 : 1));
    let scanned: Position | null = null;
    if (meta?.head && events.length < maxCount) {
      const [tx, seq] = meta.head.split('-') as [string, string];
      const headPosition = encodePosition(BigInt(tx), BigInt(seq));
      if (headPosition > from) scanned = headPosition;
    }
    return { events, heldBack: meta?.held_back === true, scanned };
  }

  private toRecorded(row: EventRow): RecordedEvent {
    return this.upcast({
      eventId: row.event_id,
      streamId: row.stream_id,
      revision: Number(row.revision),
      position: positionOf(row),
      type: row.type,
      data: row.data,
      metadata: row.metadata,
      recordedAt: row.recorded_at,
    });
  }

  private async checkEmptyAppend(
    streamId: string,
    expected: ExpectedRevision,
    unchanged: readonly StreamAt[],
  ): Promise<AppendResult> {
    await this.checkUnchanged(unchanged);
    const actual = await this.streamRevision(streamId);
    if (!meetsExpectation(expected, actual)) throw new WrongExpectedRevisionError(streamId, expected, actual);
    const last =
      actual === null ? [] : await this.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return { nextRevision: actual ?? -1, position: last[0]?.position ?? START };
  }

  /** Throws for the first of the streams a decision read that has moved since (after a refused append). */
  private async checkUnchanged(unchanged: readonly StreamAt[]): Promise<void> {
    for (const { streamId, revision } of unchanged) {
      const actual = await this.streamRevision(streamId);
      if ((actual ?? -1) !== revision)
        throw new WrongExpectedRevisionError(streamId, revision < 0 ? 'no_stream' : revision, actual);
    }
  }

  /**
   * Every statement is prepared (named by its text), so each connection parses and plans it once: for an append
   * that is most of the cost. The texts are a small fixed set, so the per-connection cache stays small.
   */
  private async query<R extends QueryResultRow>(sql: string, params?: unknown[]) {
    let name = this.statementNames.get(sql);
    if (!name) {
      name = `tt_es_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
      this.statementNames.set(sql, name);
    }
    try {
      return await this.pool.query<R>({ name, text: sql, values: params });
    } catch (error) {
      if (isPostgresUnavailable(error))
        throw new EventStoreUnavailableError('the event store is unreachable', { cause: error });
      throw error;
    }
  }
}

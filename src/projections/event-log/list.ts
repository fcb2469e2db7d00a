import type { Knex } from 'knex';
import type { Position, StreamReader } from '../../eventstore/port';
import { encodeCursor } from '../shared/cursor';
import { type Page, type PageRequest, readPageRequest } from '../shared/page';
import { usernamesOf } from '../users/usernames';
import { actorsOf, type LoggedEvent, presentEvent, withStored } from './present';
import { type EventQuery, eventLogQuery, isPositionKey, orderingOf } from './query';
import type { EventLogRow } from './row';

/** Rows of one batch, in the query's order; none when the query can match nothing. */
const selectRows = async (
  db: Knex,
  query: EventQuery,
  after: Position | null,
  limit: number,
): Promise<EventLogRow[]> => {
  const sql = eventLogQuery(query, after, limit);
  if (sql === null) return [];
  const { rows } = await db.raw<{ rows: EventLogRow[] }>(sql.sql, sql.bindings);
  return rows;
};

/** Rows presented, with the usernames of their actors read in one query. */
const present = async (db: Knex, rows: readonly EventLogRow[]): Promise<LoggedEvent[]> => {
  const usernames = await usernamesOf(db, actorsOf(rows));
  return rows.map((row) => presentEvent(row, usernames));
};

export interface ListOptions {
  /** A store that does not upcast: each event then carries `stored`, its payload as the store holds it. */
  stored?: StreamReader;
}

/** One keyset page of the query; the cursor is the last event's position. */
export const listEvents = async (
  db: Knex,
  query: EventQuery,
  page: PageRequest = {},
  options: ListOptions = {},
): Promise<Page<LoggedEvent>> => {
  const ordering = orderingOf(query);
  const { limit, after } = readPageRequest(page, ordering, isPositionKey);
  const rows = await selectRows(db, query, (after?.[0] as Position | undefined) ?? null, limit + 1);
  const shown = await present(db, rows.slice(0, limit));
  const results = options.stored ? await withStored(options.stored, shown) : shown;
  const last = results[results.length - 1];
  return {
    results,
    nextCursor: rows.length > limit && last ? encodeCursor({ ordering, key: [last.position] }) : null,
  };
};

export interface IterateOptions extends ListOptions {
  /** Rows per query (default 1 000): memory holds one batch, whatever the log's size. */
  batchSize?: number;
}

/**
 * Every event of the query, in its order (oldest first unless `newestFirst`), read in keyset batches, so memory
 * stays flat however many there are. Stopping the iteration (`break`, `return()`) stops the reading.
 */
export async function* iterateEvents(
  db: Knex,
  query: EventQuery,
  options: IterateOptions = {},
): AsyncGenerator<LoggedEvent, void, undefined> {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be a positive integer`);
  for (let after: Position | null = null; ; ) {
    const rows = await selectRows(db, query, after, batchSize);
    const shown = await present(db, rows);
    yield* options.stored ? await withStored(options.stored, shown) : shown;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]!.position;
  }
}

import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { prepareValue } from 'pg/lib/utils.js';

const statementNames = new Map<string, string>();

/**
 * A raw statement that PostgreSQL parses and plans once per connection instead of on every run: a named prepared
 * statement (after five runs the server keeps a generic plan when it is no worse than the custom ones). For the
 * statements of every request and every projector batch, whose planning costs more than their execution (the
 * issue view: 0.8 ms of planning against 0.1 ms of execution). Only for texts drawn from a small fixed set: the
 * name is a hash of the text, and each connection keeps every statement it prepared. Values travel as
 * parameters (`?`), never in the text; `??` (identifiers bound at run time) would vary the text and is refused.
 */
export const preparedRaw = <R = unknown>(db: Knex, sql: string, bindings: readonly Knex.RawBinding[] = []) =>
  db.raw<R>(sql, bindings).options({ name: statementName(sql) });

const statementName = (sql: string): string => {
  let name = statementNames.get(sql);
  if (name === undefined) {
    if (sql.includes('??')) throw new Error('a prepared statement cannot bind identifiers (??)');
    name = `tt_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return name;
};

/** The `pg` client a transaction holds (what `preparedNow` sends on). */
export interface TransactionConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** The connection `trx` runs on (knex hands a transaction's client the one connection it holds). */
export const connectionOf = async (trx: Knex.Transaction): Promise<TransactionConnection> =>
  (await trx.client.acquireConnection()) as TransactionConnection;

/**
 * `preparedRaw`, given to the transaction's connection before this call returns, so it runs ahead of any statement
 * asked for afterwards. knex reaches the connection only a few promise steps after a statement is asked for, so
 * the order of two knex statements asked for without waiting is not certain; this one's is. On a connection in
 * pipeline mode (`pipeline: true`, see src/platform/postgres.ts) it goes out at once, and what is asked for next
 * follows it without waiting for its answer: the server still runs them one after the other, in this order.
 */
export const preparedNow = <Row>(
  trx: Knex.Transaction,
  connection: TransactionConnection,
  sql: string,
  bindings: readonly Knex.RawBinding[] = [],
): Promise<Row[]> => {
  const native = trx.raw(sql, bindings).toSQL().toNative();
  // Converted here, as pg would: a value it cannot send throws now, in the transaction's own code, which rolls back.
  // Left to pg, it would fail the statement without the server hearing of it, and a COMMIT sent behind it would
  // commit what came before.
  const values = native.bindings.map((value) => prepareValue(value));
  return connection
    .query({ name: statementName(sql), text: native.sql, values })
    .then((result) => result.rows as Row[]);
};

/** Quotes a table name from `ctx.table()` (possibly schema-qualified) for interpolation into SQL. */
export const ident = (name: string): string =>
  name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');

/**
 * One JSON parameter for `jsonb_to_recordset(?::jsonb) AS r(...)`: a whole batch of rows in one statement,
 * so a batch of N events costs a constant number of round trips.
 */
export const recordset = (rows: readonly object[]): string => JSON.stringify(rows);

/** `Date.prototype.toISOString`'s own form (what event metadata carries): taken as it is, without a round trip. */
const TO_ISO_STRING_FORM = /^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** An ISO 8601 UTC time as the API writes it, whatever form (string or Date) it came in. */
export const isoTime = (value: string | Date): string =>
  typeof value === 'string' && TO_ISO_STRING_FORM.test(value) ? value : new Date(value).toISOString();

/** Renders a `date` column as `YYYY-MM-DD` regardless of the session's DateStyle. */
export const dateText = (column: string): string => `to_char(${column}, 'YYYY-MM-DD')`;

/** Renders a `timestamptz` with its full precision, so a keyset cursor never lands between two rows. */
export const timeText = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * A PostgreSQL array literal for one `?::text[]` or `?::uuid[]` parameter. (knex expands a JS array
 * parameter into a list of parameters, which `= ANY(?)` cannot take.)
 */
export const arrayParam = (values: Iterable<string>): string =>
  `{${[...values].map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;

/** The rows of `table` (from `ctx.table()`) whose id is one of `ids`; no query at all when there are none. */
export const rowsWithIds = <Row>(
  db: Knex,
  table: string,
  columns: string,
  ids: readonly string[],
): Promise<Row[]> => rowsWhereAny<Row>(db, table, columns, 'id', ids);

/** The rows of `table` whose uuid `column` is one of `values`, by a prepared statement; no query for none. */
export const rowsWhereAny = async <Row>(
  db: Knex,
  table: string,
  columns: string,
  column: string,
  values: readonly string[],
): Promise<Row[]> => {
  if (values.length === 0) return [];
  const { rows } = await preparedRaw<{ rows: Row[] }>(
    db,
    `SELECT ${columns} FROM ${ident(table)} WHERE ${ident(column)} = ANY(?::uuid[])`,
    [arrayParam(values)],
  );
  return rows;
};

/** One table's rows for `rowsWhereAnyOf`: those whose uuid `column` is one of `values`. */
export interface RowsWhereAny {
  table: string;
  columns: string;
  column: string;
  values: readonly string[];
}

/**
 * Several tables' rows in one prepared statement (one round trip instead of one per table), each table's as a JSON
 * array: uuids, texts, booleans, integers and arrays of texts come as they are; a timestamp comes as its ISO text
 * (`isoTime` reads either form), not as a `Date`; a bigint would come as a JSON number (cast it to text).
 */
export const rowsWhereAnyOf = async <R extends Record<string, object>>(
  db: Knex,
  loads: { [K in keyof R]: RowsWhereAny },
): Promise<{ [K in keyof R]: R[K][] }> => {
  const keys = Object.keys(loads) as (keyof R & string)[];
  const wanted = keys.filter((key) => loads[key].values.length > 0);
  const empty = Object.fromEntries(keys.map((key) => [key, []])) as unknown as { [K in keyof R]: R[K][] };
  if (wanted.length === 0) return empty;
  const parts = wanted.map((key, i) => {
    const { table, columns, column } = loads[key];
    return `(SELECT coalesce(json_agg(r), '[]') FROM (SELECT ${columns} FROM ${ident(table)}
       WHERE ${ident(column)} = ANY(?::uuid[])) AS r) AS r${i}`;
  });
  const { rows } = await preparedRaw<{ rows: Record<string, unknown[]>[] }>(
    db,
    `SELECT ${parts.join(', ')}`,
    wanted.map((key) => arrayParam(loads[key].values)),
  );
  wanted.forEach((key, i) => {
    (empty as Record<string, unknown[]>)[key] = rows[0]?.[`r${i}`] ?? [];
  });
  return empty;
};

/**
 * One INSERT for a whole batch, the rows travelling as one JSON parameter (`recordset`): `columns` names each
 * column with its SQL type, `onConflict` says what becomes of a row already there (the table is `t` in it).
 * No statement at all when there are no rows.
 */
export const insertRows = async (
  trx: Writer,
  table: string,
  columns: Readonly<Record<string, string>>,
  rows: readonly object[],
  onConflict: string,
): Promise<void> => {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  await write(
    trx,
    table,
    `INSERT INTO ${ident(table)} AS t (${names.join(', ')})
     SELECT ${names.map((name) => `r.${name}`).join(', ')}
     FROM jsonb_to_recordset(?::jsonb) AS r(${names.map((name) => `${name} ${columns[name]}`).join(', ')})
     ${onConflict}`,
    [recordset(rows)],
  );
};

/**
 * Writes queued to go to PostgreSQL as one statement, each a data-modifying `WITH` of it: a batch that writes
 * several tables costs one round trip instead of one per table. They take effect as if sent one by one in order:
 * each writes a table of its own and reads no other's (the read-model tables have no triggers or foreign keys),
 * and a write to a table already queued sends the queue first (one statement must not change a row twice).
 * `flush()` before anything reads what was written.
 */
export class WriteBatch {
  private queued: (Statement & { table: string })[] = [];

  constructor(readonly trx: Knex.Transaction) {}

  async add(table: string, sql: string, bindings: readonly Knex.RawBinding[]): Promise<void> {
    if (this.queues([table])) await this.flush();
    this.queued.push({ table, sql, bindings });
  }

  /** `add` for a table nothing queued yet (a write of it already queued is a mistake: it throws). */
  queue(table: string, sql: string, bindings: readonly Knex.RawBinding[]): void {
    if (this.queues([table])) throw new Error(`a write of ${table} is already queued`);
    this.queued.push({ table, sql, bindings });
  }

  /** Whether a write to one of `tables` waits in the queue. */
  queues(tables: readonly string[]): boolean {
    return this.queued.some((q) => tables.includes(q.table));
  }

  /**
   * Sends the queue. `then`, a statement that reads none of the queued tables (a `SELECT pg_notify(…)`, say),
   * goes in the same statement, after the queued writes' `WITH`s; it is sent alone when nothing is queued.
   */
  async flush(then?: Statement): Promise<void> {
    const statement = this.take(then);
    if (statement) await preparedRaw(this.trx, statement.sql, statement.bindings);
  }

  /**
   * `flush`, given to the transaction's connection before it returns (`preparedNow`): what is asked for after it,
   * a `COMMIT` included, runs after it.
   */
  flushNow(connection: TransactionConnection, then?: Statement): Promise<unknown> {
    const statement = this.take(then);
    return statement
      ? preparedNow(this.trx, connection, statement.sql, statement.bindings)
      : Promise.resolve();
  }

  /** The queue (and `then`) as one statement, emptying the queue; null when there is nothing to send. */
  private take(then?: Statement): Statement | null {
    const queued = this.queued;
    this.queued = [];
    if (queued.length === 0) return then ?? null;
    if (queued.length === 1 && !then) return queued[0]!;
    return {
      sql: `WITH ${queued.map((q, i) => `w${i} AS (${q.sql})`).join(',\n')}\n${then?.sql ?? 'SELECT 1'}`,
      bindings: [...queued.flatMap((q) => q.bindings), ...(then?.bindings ?? [])],
    };
  }
}

/** A statement with its `?` bindings. */
export interface Statement {
  sql: string;
  bindings: readonly Knex.RawBinding[];
}

/** Where a write goes: a transaction (sent at once) or a batch (queued). */
export type Writer = Knex.Transaction | WriteBatch;

/** A prepared write of `table`: sent at once, or queued in the batch. */
export const write = async (
  writer: Writer,
  table: string,
  sql: string,
  bindings: readonly Knex.RawBinding[],
): Promise<void> => {
  if (writer instanceof WriteBatch) await writer.add(table, sql, bindings);
  else await preparedRaw(writer, sql, bindings);
};

/**
 * The transaction, with whatever is queued sent first: for a statement that cannot be queued (one with a `WITH`
 * of its own, or one built with knex's query builder).
 */
export const direct = async (writer: Writer): Promise<Knex.Transaction> => {
  if (!(writer instanceof WriteBatch)) return writer;
  await writer.flush();
  return writer.trx;
};

import type { Knex } from 'knex';

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

/** An ISO 8601 UTC time as the API writes it, whatever form (string or Date) it came in. */
export const isoTime = (value: string | Date): string => new Date(value).toISOString();

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
export const rowsWithIds = async <Row>(
  db: Knex,
  table: string,
  columns: string,
  ids: readonly string[],
): Promise<Row[]> => {
  if (ids.length === 0) return [];
  const { rows } = await db.raw<{ rows: Row[] }>(
    `SELECT ${columns} FROM ${ident(table)} WHERE id = ANY(?::uuid[])`,
    [arrayParam(ids)],
  );
  return rows;
};

/**
 * One INSERT for a whole batch, the rows travelling as one JSON parameter (`recordset`): `columns` names each
 * column with its SQL type, `onConflict` says what becomes of a row already there (the table is `t` in it).
 * No statement at all when there are no rows.
 */
export const insertRows = async (
  trx: Knex.Transaction,
  table: string,
  columns: Readonly<Record<string, string>>,
  rows: readonly object[],
  onConflict: string,
): Promise<void> => {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  await trx.raw(
    `INSERT INTO ${ident(table)} AS t (${names.join(', ')})
     SELECT ${names.map((name) => `r.${name}`).join(', ')}
     FROM jsonb_to_recordset(?::jsonb) AS r(${names.map((name) => `${name} ${columns[name]}`).join(', ')})
     ${onConflict}`,
    [recordset(rows)],
  );
};

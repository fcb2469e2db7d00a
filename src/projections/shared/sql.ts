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

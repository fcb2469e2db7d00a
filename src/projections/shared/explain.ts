import type { Knex } from 'knex';

/**
 * The plan PostgreSQL chooses for a statement, as `EXPLAIN` prints it (its lines joined). With `seqscan: false`,
 * sequential scans are priced out for this statement alone (`SET LOCAL` in a transaction of its own): a test's
 * small table would otherwise favour one, and what matters is which index the statement can use.
 */
export const explain = async (
  db: Knex,
  query: { sql: string; bindings: readonly unknown[] },
  options: { seqscan?: boolean } = {},
): Promise<string> => {
  const run = async (runner: Knex) => {
    const { rows } = await runner.raw<{ rows: { 'QUERY PLAN': string }[] }>(
      `EXPLAIN ${query.sql}`,
      query.bindings as Knex.RawBinding[],
    );
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  };
  if (options.seqscan !== false) return run(db);
  return db.transaction(async (trx) => {
    await trx.raw('SET LOCAL enable_seqscan = off');
    return run(trx);
  });
};

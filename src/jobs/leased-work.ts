/**
 * Work a reaction records in a job-owned table (one row per process to finish: a member's removal, a label's
 * deletion) and a job finishes: rows are claimed one at a time under a lease (renewed as the work goes), so
 * several runs share the work, none does a row twice, and a run that dies is taken over once its lease ends.
 * The table has `status` ('pending' | 'done'), `position`, `lease_owner`, `lease_until`, `attempts`, `released`,
 * `finished_at` and `last_error`, besides its own key and data columns.
 */
import type { Knex } from 'knex';
import type { JobRun } from './job';

/** Another run took the row over (this run's lease ran out): stop without handing it back. */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
}

export interface LeasedTable {
  table: string;
  /** The row's key columns. */
  keys: readonly string[];
  /** What a claim returns (keys included). */
  columns: readonly string[];
}

export interface LeasedWork<Row> {
  /** The oldest pending row no live run holds, now this run's until its lease runs out. */
  claim(run: JobRun, leaseMs: number): Promise<Row | null>;
  /** Renews the lease and records the progress; throws LeaseLost when another run has taken the row over. */
  renew(run: JobRun, row: Row, leaseMs: number, released: number): Promise<void>;
  /** Marks the row done; throws LeaseLost when another run has taken it over. */
  finish(run: JobRun, row: Row, released: number, note?: string | null): Promise<void>;
  /**
   * Hands the row back (with the reason) to a later run. The run usually failed because PostgreSQL could not be
   * reached, and handing back may then fail too: it is tried again every second while the lease lasts, so the row
   * waits for the database to come back rather than for its lease to run out.
   */
  giveBack(run: JobRun, row: Row, reason: string, leaseMs: number): Promise<void>;
}

export const leasedWork = <Row extends object>(knex: Knex, spec: LeasedTable): LeasedWork<Row> => {
  const keys = spec.keys.join(', ');
  const held = (run: JobRun, row: Row) =>
    knex(spec.table).where({
      ...Object.fromEntries(spec.keys.map((key) => [key, (row as Record<string, unknown>)[key]])),
      lease_owner: run.runId,
    });
  const lease = (leaseMs: number) => knex.raw("now() + ? * interval '1 millisecond'", [leaseMs]);
  const stillHeld = async (update: Promise<number>) => {
    if ((await update) === 0) throw new LeaseLost('another run took it over');
  };
  return {
    async claim(run, leaseMs) {
      const { rows } = await knex.raw<{ rows: Row[] }>(
        `UPDATE ${spec.table} r
         SET lease_owner = ?, lease_until = now() + ? * interval '1 millisecond', attempts = r.attempts + 1
         WHERE (${spec.keys.map((key) => `r.${key}`).join(', ')}) = (
           SELECT ${keys} FROM ${spec.table}
           WHERE status = 'pending' AND (lease_until IS NULL OR lease_until <= now())
           ORDER BY position
           LIMIT 1
           FOR UPDATE SKIP LOCKED)
         RETURNING ${spec.columns.map((column) => `r.${column}`).join(', ')}`,
        [run.runId, leaseMs],
      );
      return rows[0] ?? null;
    },
    renew: (run, row, leaseMs, released) =>
      stillHeld(held(run, row).update({ lease_until: lease(leaseMs), released })),
    finish: (run, row, released, note = null) =>
      stillHeld(
        held(run, row).update({
          status: 'done',
          released,
          finished_at: knex.fn.now(),
          lease_owner: null,
          lease_until: null,
          last_error: note,
        }),
      ),
    async giveBack(run, row, reason, leaseMs) {
      for (const until = Date.now() + leaseMs; ; ) {
        try {
          await held(run, row).update({ lease_owner: null, lease_until: null, last_error: reason });
          return;
        } catch (error) {
          if (Date.now() + 1000 >= until) throw error;
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    },
  };
};

/**
 * A job run over leased work: claims rows one at a time and processes each; on a failure hands the row back and
 * stops (the next run, seconds away, tries again with the read models further along), then fails the run.
 */
export const runLeased = async <Row>(
  work: LeasedWork<Row>,
  run: JobRun,
  leaseMs: number,
  name: string,
  process: (row: Row) => Promise<void>,
): Promise<void> => {
  for (;;) {
    const row = await work.claim(run, leaseMs);
    if (!row) return;
    try {
      await process(row);
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      if (!(error instanceof LeaseLost)) await work.giveBack(run, row, message, leaseMs);
      throw new Error(`${name}: ${message}`);
    }
  }
};

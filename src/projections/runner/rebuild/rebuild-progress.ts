import type { Knex } from 'knex';
import { type Position, START } from '../../../eventstore/port';

/** A rebuild's own checkpoint (table `projection_rebuilds`): how far the shadow tables got. */
export interface RebuildProgressRow {
  position: Position;
  eventsApplied: number;
}

export const readRebuildProgress = async (
  db: Knex,
  name: string,
): Promise<(RebuildProgressRow & { store: string | null }) | null> => {
  const { rows } = await db.raw<{
    rows: { position: string; events_applied: string | number; store: string | null }[];
  }>('SELECT position, events_applied, store FROM projection_rebuilds WHERE name = ?', [name]);
  const row = rows[0];
  return row ? { position: row.position, eventsApplied: Number(row.events_applied), store: row.store } : null;
};

/** `store`: the event store whose log the rebuild reads (its positions are positions in that log). */
export const startRebuildProgress = async (db: Knex, name: string, store: string): Promise<void> => {
  await db.raw(
    `INSERT INTO projection_rebuilds (name, position, store) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET position = excluded.position, store = excluded.store, events_applied = 0,
       started_at = now(), updated_at = now()`,
    [name, START, store],
  );
};

/** Moved in the same transaction as the shadow batch it describes. */
export const saveRebuildProgress = async (
  trx: Knex.Transaction,
  name: string,
  row: RebuildProgressRow,
): Promise<void> => {
  await trx.raw(
    'UPDATE projection_rebuilds SET position = ?, events_applied = ?, updated_at = now() WHERE name = ?',
    [row.position, row.eventsApplied, name],
  );
};

export const clearRebuildProgress = async (db: Knex, name: string): Promise<void> => {
  await db.raw('DELETE FROM projection_rebuilds WHERE name = ?', [name]);
};

export const setProjectionState = async (
  db: Knex,
  name: string,
  state: 'live' | 'rebuilding',
): Promise<void> => {
  await db.raw('UPDATE projection_checkpoints SET state = ?, updated_at = now() WHERE name = ?', [
    state,
    name,
  ]);
};

/**
 * The live checkpoint (without locking it: it only moves forward, so anything at or below it is safe to replay),
 * and whether a projector is running: the advisory lock is tried and, in this one-statement transaction,
 * released again at once (a standby that tries at that very moment simply tries again).
 */
export const liveState = async (
  db: Knex,
  name: string,
  projectorLock: string,
): Promise<{ position: Position; projectorRunning: boolean }> => {
  const { rows } = await db.raw<{ rows: { position: string | null; free: boolean }[] }>(
    `SELECT (SELECT position FROM projection_checkpoints WHERE name = ?) AS position,
            pg_try_advisory_xact_lock(hashtextextended(?, 0)) AS free`,
    [name, projectorLock],
  );
  return { position: rows[0]?.position ?? START, projectorRunning: rows[0]?.free === false };
};

/** Inside a transaction: true when no projector runs, and none can start before the transaction ends. */
export const holdProjectorOff = async (trx: Knex.Transaction, projectorLock: string): Promise<boolean> => {
  const { rows } = await trx.raw<{ rows: { free: boolean }[] }>(
    'SELECT pg_try_advisory_xact_lock(hashtextextended(?, 0)) AS free',
    [projectorLock],
  );
  return rows[0]?.free === true;
};

import type { Knex } from 'knex';
import { type Position, START } from '../../eventstore/port';

export type ProjectionState = 'live' | 'rebuilding';

export interface CheckpointRow {
  name: string;
  position: Position;
  state: ProjectionState;
  eventsApplied: number;
  updatedAt: Date;
}

export interface CheckpointUpdate {
  name: string;
  position: Position;
  /** Events passed to the projection in this batch, added to its running total. */
  applied: number;
}

// Name lists travel as one JSON parameter: knex expands plain array bindings into value lists.
const names = (list: readonly string[]) => JSON.stringify(list);

/** Gives every projection a row (at the start of the log) so that later batches can lock it. */
export const ensureCheckpoints = async (knex: Knex, list: readonly string[]): Promise<void> => {
  await knex.raw(
    `INSERT INTO projection_checkpoints (name, position)
     SELECT n, ? FROM jsonb_array_elements_text(?::jsonb) AS n ON CONFLICT (name) DO NOTHING`,
    [START, names(list)],
  );
};

/**
 * Locks the projections' rows for the rest of the transaction and returns their positions. Every writer of a
 * live checkpoint (each runner batch, a rebuild's swap) takes these locks first and in name order, so two
 * writers serialize instead of interleaving and never deadlock; the positions read after the wait are the
 * committed ones, which is what makes "above the checkpoint" exact even if two runners overlapped.
 */
export const lockCheckpoints = async (
  trx: Knex.Transaction,
  list: readonly string[],
): Promise<Map<string, Position>> => {
  const { rows } = await trx.raw<{ rows: { name: string; position: string }[] }>(
    `SELECT name, position FROM projection_checkpoints
     WHERE name IN (SELECT jsonb_array_elements_text(?::jsonb)) ORDER BY name FOR UPDATE`,
    [names(list)],
  );
  return new Map(rows.map((r) => [r.name, r.position]));
};

/**
 * Stores a batch's checkpoints and queues a NOTIFY with `notifyPosition`, in one statement of the batch's
 * transaction: PostgreSQL delivers the notification only if, and as soon as, the transaction commits.
 */
export const saveCheckpoints = async (
  trx: Knex.Transaction,
  updates: readonly CheckpointUpdate[],
  notify: { channel: string; position: Position },
): Promise<void> => {
  await trx.raw(
    `WITH saved AS (
       INSERT INTO projection_checkpoints AS c (name, position, events_applied)
       SELECT u.name, u.position, u.applied FROM jsonb_to_recordset(?::jsonb) AS u(name text, position text, applied bigint)
       ON CONFLICT (name) DO UPDATE
         SET position = excluded.position, events_applied = c.events_applied + excluded.events_applied, updated_at = now()
       RETURNING 1
     )
     SELECT pg_notify(?, ?), (SELECT count(*) FROM saved)`,
    [JSON.stringify(updates), notify.channel, notify.position],
  );
};

/** The checkpoint rows of the given projections (all when `list` is omitted), by name. */
export const readCheckpoints = async (knex: Knex, list?: readonly string[]): Promise<CheckpointRow[]> => {
  const { rows } = await knex.raw<{
    rows: {
      name: string;
      position: string;
      state: ProjectionState;
      events_applied: string | number;
      updated_at: Date;
    }[];
  }>(
    `SELECT name, position, state, events_applied, updated_at FROM projection_checkpoints
     WHERE ?::jsonb IS NULL OR name IN (SELECT jsonb_array_elements_text(?::jsonb)) ORDER BY name`,
    [list ? names(list) : null, list ? names(list) : null],
  );
  return rows.map((r) => ({
    name: r.name,
    position: r.position,
    state: r.state,
    eventsApplied: Number(r.events_applied),
    updatedAt: r.updated_at,
  }));
};

/** Where a runner must start reading so that no projection misses an event: the lowest checkpoint. */
export const minCheckpoint = async (knex: Knex, list: readonly string[]): Promise<Position> => {
  const rows = await readCheckpoints(knex, list);
  if (rows.length < list.length) return START;
  return (
    rows.reduce<Position | null>((min, r) => (min === null || r.position < min ? r.position : min), null) ??
    START
  );
};

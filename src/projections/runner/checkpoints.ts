import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { isPosition, type Position, START } from '../../eventstore/port';
import { preparedNow, preparedRaw, type TransactionConnection, type WriteBatch } from '../shared/sql';

export type ProjectionState = 'live' | 'rebuilding';

export interface CheckpointRow {
  name: string;
  position: Position;
  /** The event store whose log the position is in (`EventStore.kind`); null while nothing claimed it. */
  store: string | null;
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

/** Checkpoints written reading another event store's log: their positions mean nothing in this one. */
export class CheckpointStoreMismatchError extends Error {
  override readonly name = 'CheckpointStoreMismatchError';
  constructor(
    readonly store: string,
    readonly mismatched: ReadonlyArray<{ name: string; store: string }>,
  ) {
    const others = [...new Set(mismatched.map((m) => m.store))].join(', ');
    super(
      `the read models' checkpoints (${mismatched.map((m) => m.name).join(', ')}) are positions in the ${others} ` +
        `event store's log, but this process reads the ${store} event store: positions of one log mean nothing ` +
        'in another, so the projector stops rather than skip or repeat events. To switch event stores, rebuild ' +
        'the read models from the new log (a fresh rebuild of each projection, or an empty read-model database); ' +
        `to keep the read models, point the process back at the ${others} event store.`,
    );
  }
}

/**
 * Claims the projections' checkpoints for `store` where nothing says otherwise (rows no store claimed yet, rows
 * still at the start of the log), then refuses, with CheckpointStoreMismatchError, rows another store's log
 * moved. The projector calls it before it subscribes.
 */
export const claimCheckpoints = async (knex: Knex, list: readonly string[], store: string): Promise<void> => {
  await knex.raw(
    `UPDATE projection_checkpoints SET store = ?
     WHERE name IN (SELECT jsonb_array_elements_text(?::jsonb)) AND (store IS NULL OR position = ?)
       AND store IS DISTINCT FROM ?`,
    [store, names(list), START, store],
  );
  const { rows } = await knex.raw<{ rows: { name: string; store: string }[] }>(
    `SELECT name, store FROM projection_checkpoints
     WHERE name IN (SELECT jsonb_array_elements_text(?::jsonb)) AND store IS DISTINCT FROM ? ORDER BY name`,
    [names(list), store],
  );
  if (rows.length > 0) throw new CheckpointStoreMismatchError(store, rows);
};

/** One projection's checkpoint and the store it belongs to, or null when it has no row. */
export const checkpointOf = async (
  db: Knex,
  name: string,
): Promise<{ position: Position; store: string | null } | null> => {
  const { rows } = await db.raw<{ rows: { position: string; store: string | null }[] }>(
    'SELECT position, store FROM projection_checkpoints WHERE name = ?',
    [name],
  );
  return rows[0] ?? null;
};

const LOCK_CHECKPOINTS = `SELECT name, position FROM projection_checkpoints
     WHERE name IN (SELECT jsonb_array_elements_text(?::jsonb)) ORDER BY name FOR UPDATE`;

const byName = (rows: readonly { name: string; position: string }[]): Map<string, Position> =>
  new Map(rows.map((r) => [r.name, r.position]));

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
  const { rows } = await preparedRaw<{ rows: { name: string; position: string }[] }>(trx, LOCK_CHECKPOINTS, [
    names(list),
  ]);
  return byName(rows);
};

/**
 * `lockCheckpoints`, given to the transaction's connection before it returns (`preparedNow`): whatever the
 * transaction asks for next runs once the locks are held, even when it is sent before their answer is back.
 */
export const lockCheckpointsNow = (
  trx: Knex.Transaction,
  connection: TransactionConnection,
  list: readonly string[],
): Promise<Map<string, Position>> =>
  preparedNow<{ name: string; position: string }>(trx, connection, LOCK_CHECKPOINTS, [names(list)]).then(
    byName,
  );

/** Names a set of projections (in any order) in a few characters: the same set, the same tag. */
export const projectionSetTag = (names: readonly string[]): string =>
  createHash('sha256')
    .update([...new Set(names)].sort().join('\n'))
    .digest('hex')
    .slice(0, 16);

/**
 * A runner's commit notification: `<position> <tag>`, the lowest checkpoint of its projections after the batch and
 * the tag of their set. A waiter for the same set may take the position as read; any other reads the checkpoints.
 */
export const commitNotice = (position: Position, projections: readonly string[]): string =>
  `${position} ${projectionSetTag(projections)}`;

/** The position and tag of a commit notification; a bare position has no tag; anything else is null. */
export const readCommitNotice = (payload: string): { position: Position; tag: string | null } | null => {
  const [position = '', tag, ...rest] = payload.split(' ');
  if (!isPosition(position) || rest.length > 0) return null;
  return { position, tag: tag ?? null };
};

/**
 * Stores a batch's checkpoints and queues a NOTIFY (`commitNotice`), in one statement of the batch's transaction
 * together with the writes `writes` still holds, given to the connection before it returns (`WriteBatch.flushNow`):
 * the `COMMIT` can follow it at once. PostgreSQL delivers the notification only if, and as soon as, the
 * transaction commits.
 */
export const saveCheckpoints = (
  writes: WriteBatch,
  connection: TransactionConnection,
  updates: readonly CheckpointUpdate[],
  notify: { channel: string; payload: string },
): Promise<unknown> => {
  writes.queue(
    'projection_checkpoints',
    `INSERT INTO projection_checkpoints AS c (name, position, events_applied)
     SELECT u.name, u.position, u.applied FROM jsonb_to_recordset(?::jsonb) AS u(name text, position text, applied bigint)
     ON CONFLICT (name) DO UPDATE
       SET position = excluded.position, events_applied = c.events_applied + excluded.events_applied, updated_at = now()`,
    [JSON.stringify(updates)],
  );
  return writes.flushNow(connection, {
    sql: 'SELECT pg_notify(?, ?)',
    bindings: [notify.channel, notify.payload],
  });
};

/** The checkpoint rows of the given projections (all when `list` is omitted), by name. */
export const readCheckpoints = async (knex: Knex, list?: readonly string[]): Promise<CheckpointRow[]> => {
  const { rows } = await preparedRaw<{
    rows: {
      name: string;
      position: string;
      store: string | null;
      state: ProjectionState;
      events_applied: string | number;
      updated_at: Date;
    }[];
  }>(
    knex,
    `SELECT name, position, store, state, events_applied, updated_at FROM projection_checkpoints
     WHERE ?::jsonb IS NULL OR name IN (SELECT jsonb_array_elements_text(?::jsonb)) ORDER BY name`,
    [list ? names(list) : null, list ? names(list) : null],
  );
  return rows.map((r) => ({
    name: r.name,
    position: r.position,
    store: r.store,
    state: r.state,
    eventsApplied: Number(r.events_applied),
    updatedAt: r.updated_at,
  }));
};

/**
 * Where a runner must start reading so that no projection misses an event: the lowest of the listed projections'
 * checkpoints, START for one that has none.
 */
export const lowestCheckpoint = (
  list: readonly string[],
  checkpoints: ReadonlyMap<string, Position>,
): Position =>
  list.reduce<Position | null>((min, name) => {
    const position = checkpoints.get(name) ?? START;
    return min === null || position < min ? position : min;
  }, null) ?? START;

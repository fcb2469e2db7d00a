import type { Knex } from 'knex';
import {
  type Position,
  type RecordedEvent,
  START,
  comparePositions,
  maxPosition,
} from '../../eventstore/port';
import type { Projection, ProjectionContext, RoomMessage } from '../projection';
import { type CheckpointUpdate, commitNotice, lockCheckpointsNow, saveCheckpoints } from './checkpoints';
import { handles } from './handles';
import { connectionOf, WriteBatch } from '../shared/sql';

export interface BatchResult {
  /** The lowest checkpoint after the batch: the position the NOTIFY announced. */
  position: Position;
  /** Every projection's checkpoint after the batch: what the next batch may expect (`expected`). */
  checkpoints: Map<string, Position>;
  /** Realtime messages of the batch in position order, to publish now that it committed. */
  messages: RoomMessage[];
  /** Events handed to projections, summed over projections. */
  applied: number;
}

export interface ApplyBatchOptions {
  knex: Knex;
  projections: readonly Projection[];
  events: readonly RecordedEvent[];
  channel: string;
  /**
   * The checkpoints the caller expects to find (what its last batch committed): the projections start on the batch
   * while the checkpoints' locks are still on their way, and the batch is done again, waiting for the locks, if the
   * locked ones differ (a rebuild swapped a table in, another runner committed). Without it, the batch waits for
   * the locks before it starts.
   */
  expected?: ReadonlyMap<string, Position>;
  /** Runs last inside the transaction; throwing rolls the batch back (leadership checks, crash tests). */
  beforeCommit?: (trx: Knex.Transaction) => Promise<void> | void;
}

/** Sends what earlier projections queued in `ctx.writes` when `projection` may read it (`Projection.reads`). */
export const sendWhatItReads = async (ctx: ProjectionContext, projection: Projection): Promise<void> => {
  if (projection.reads === undefined || ctx.writes.queues(projection.reads.map(ctx.table)))
    await ctx.writes.flush();
};

/** The checkpoints a batch found locked were not those it started from: it is rolled back and done again. */
class CheckpointsMoved extends Error {
  override readonly name = 'CheckpointsMoved';
}

/**
 * What a batch that started from `expected` failed of: the locks' own failure (a lock timeout, a cancel), which
 * fails the statements sent behind them too; the checkpoints having moved, when a projection failed on events it
 * was given again (a redo from the locked ones may go through); or the error itself.
 */
const reasonOf = async (
  error: unknown,
  locking: Promise<ReadonlyMap<string, Position>>,
  expected: ReadonlyMap<string, Position> | null,
  names: readonly string[],
): Promise<unknown> => {
  if (expected === null) return error;
  let locked: ReadonlyMap<string, Position>;
  try {
    locked = await locking;
  } catch (lockFailure) {
    return lockFailure;
  }
  return sameCheckpoints(names, locked, expected) ? error : new CheckpointsMoved();
};

const sameCheckpoints = (
  names: readonly string[],
  a: ReadonlyMap<string, Position>,
  b: ReadonlyMap<string, Position>,
): boolean => names.every((name) => (a.get(name) ?? START) === (b.get(name) ?? START));

/**
 * Applies one batch of the log to every projection and moves their checkpoints, all in one transaction: after a
 * crash either the whole batch and its checkpoints are there or none of it is. Each projection gets only the
 * events it handles above its own (locked, committed) checkpoint, in list order, because later read models may
 * read earlier ones (issues read users).
 *
 * Round trips: the checkpoints' locks go out first and the projections' first reads follow without waiting for
 * them (with `expected`; the server runs those reads once the locks are held), and the `COMMIT` follows the last
 * write without waiting for it. On a connection in pipeline mode (`BEGIN` not waited for either) that makes a batch
 * of one projection two waits where there were five. A last write that fails on the server aborts the transaction,
 * which makes PostgreSQL answer the `COMMIT` with a rollback: the failure is thrown after it; one whose values
 * cannot be sent throws before it goes out (`preparedNow`), and the transaction rolls back as for any error. When
 * the locks fail (a lock timeout, a cancel), so do the reads sent behind them: the locks' error is the one thrown.
 */
export const applyBatch = async (options: ApplyBatchOptions): Promise<BatchResult> => {
  if (options.expected !== undefined) {
    try {
      return await attempt(options, options.expected);
    } catch (error) {
      if (!(error instanceof CheckpointsMoved)) throw error;
    }
  }
  return attempt(options, null);
};

const attempt = async (
  options: ApplyBatchOptions,
  expected: ReadonlyMap<string, Position> | null,
): Promise<BatchResult> => {
  const { knex, projections, events, channel, beforeCommit } = options;
  const names = projections.map((p) => p.name);
  const last = events[events.length - 1]?.position ?? START;
  let saved: Promise<unknown> = Promise.resolve();
  const result = await knex.transaction(async (trx) => {
    const connection = await connectionOf(trx);
    const locking = lockCheckpointsNow(trx, connection, names);
    // Awaited below, or dropped with the rolled-back batch when a projection fails first.
    locking.catch(() => undefined);
    const checkpoints = expected ?? (await locking);
    const messages: RoomMessage[] = [];
    const ctx: ProjectionContext = {
      trx,
      table: (name) => name,
      emit: (message) => messages.push(message),
      rebuilding: false,
      writes: new WriteBatch(trx),
    };
    const updates: CheckpointUpdate[] = [];
    let applied = 0;
    try {
      for (const projection of projections) {
        const checkpoint = checkpoints.get(projection.name) ?? START;
        const mine = events.filter((e) => e.position > checkpoint && handles(projection, e.type));
        if (mine.length > 0) {
          await sendWhatItReads(ctx, projection);
          await projection.apply(mine, ctx);
        }
        applied += mine.length;
        updates.push({
          name: projection.name,
          position: maxPosition(checkpoint, last),
          applied: mine.length,
        });
      }
    } catch (error) {
      throw await reasonOf(error, locking, expected, names);
    }
    if (expected !== null && !sameCheckpoints(names, await locking, expected)) throw new CheckpointsMoved();
    // Default sort compares code units: the positions' (ASCII hex) order.
    const lowest = updates.map((u) => u.position).sort()[0] ?? last;
    // With the writes the projections left queued: one statement, the COMMIT right behind it.
    saved = saveCheckpoints(ctx.writes, connection, updates, {
      channel,
      payload: commitNotice(lowest, names),
    });
    saved.catch(() => undefined);
    try {
      await beforeCommit?.(trx);
    } catch (error) {
      // A hook's statement behind a failed write fails only because the transaction is aborted.
      throw (
        (await saved.then(
          () => null,
          (failed: unknown) => failed,
        )) ?? error
      );
    }
    // Rooms hear about events in log order even when several projections emit for the same room.
    messages.sort((a, b) => comparePositions(a.position, b.position));
    return {
      position: lowest,
      checkpoints: new Map(updates.map((u) => [u.name, u.position])),
      messages,
      applied,
    };
  });
  // Its failure aborted the transaction, and the COMMIT behind it rolled back.
  await saved;
  return result;
};

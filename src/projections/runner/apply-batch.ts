import type { Knex } from 'knex';
import {
  type Position,
  type RecordedEvent,
  START,
  comparePositions,
  maxPosition,
} from '../../eventstore/port';
import type { Projection, ProjectionContext, RoomMessage } from '../projection';
import { type CheckpointUpdate, commitNotice, lockCheckpoints, saveCheckpoints } from './checkpoints';
import { handles } from './handles';
import { WriteBatch } from '../shared/sql';

export interface BatchResult {
  /** The lowest checkpoint after the batch: the position the NOTIFY announced. */
  position: Position;
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
  /** Runs last inside the transaction; throwing rolls the batch back (leadership checks, crash tests). */
  beforeCommit?: (trx: Knex.Transaction) => Promise<void> | void;
}

/** Sends what earlier projections queued in `ctx.writes` when `projection` may read it (`Projection.reads`). */
export const sendWhatItReads = async (ctx: ProjectionContext, projection: Projection): Promise<void> => {
  if (projection.reads === undefined || ctx.writes.queues(projection.reads.map(ctx.table)))
    await ctx.writes.flush();
};

/**
 * Applies one batch of the log to every projection and moves their checkpoints, all in one transaction: after a
 * crash either the whole batch and its checkpoints are there or none of it is. Each projection gets only the
 * events it handles above its own (locked, committed) checkpoint, in list order, because later read models may
 * read earlier ones (issues read users).
 */
export const applyBatch = async (options: ApplyBatchOptions): Promise<BatchResult> => {
  const { knex, projections, events, channel, beforeCommit } = options;
  const last = events[events.length - 1]?.position ?? START;
  return knex.transaction(async (trx) => {
    const checkpoints = await lockCheckpoints(
      trx,
      projections.map((p) => p.name),
    );
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
    for (const projection of projections) {
      const checkpoint = checkpoints.get(projection.name) ?? START;
      const mine = events.filter((e) => e.position > checkpoint && handles(projection, e.type));
      if (mine.length > 0) {
        await sendWhatItReads(ctx, projection);
        await projection.apply(mine, ctx);
      }
      applied += mine.length;
      updates.push({ name: projection.name, position: maxPosition(checkpoint, last), applied: mine.length });
    }
    // Default sort compares code units: the positions' (ASCII hex) order.
    const lowest = updates.map((u) => u.position).sort()[0] ?? last;
    // With the writes the projections left queued: one statement.
    await saveCheckpoints(ctx.writes, updates, {
      channel,
      payload: commitNotice(
        lowest,
        projections.map((p) => p.name),
      ),
    });
    await beforeCommit?.(trx);
    // Rooms hear about events in log order even when several projections emit for the same room.
    messages.sort((a, b) => comparePositions(a.position, b.position));
    return { position: lowest, messages, applied };
  });
};

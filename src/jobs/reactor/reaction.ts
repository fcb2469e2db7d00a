import type { Knex } from 'knex';
import { type Position, type RecordedEvent, START } from '../../eventstore/port';
import type { Projection, RoomMessage } from '../../projections/projection';
import type { WriteBatch } from '../../projections/shared/sql';
import { wakeMessage } from './wake';

/** What a reaction gets for one batch of the log. */
export interface ReactionContext {
  /** The batch's transaction, which also moves the reaction's checkpoint: write job-owned tables through it only. */
  trx: Knex.Transaction;
  /**
   * Writes that may wait for the end of the batch: sent with the checkpoints' update in one statement, or before a
   * later reaction runs that may read their tables (`Reaction.reads`). Read a table queued here only after `flush()`.
   */
  writes: WriteBatch;
  /**
   * Whether the reaction acts on this event (notifies, records work to do), or only folds it into its own tables:
   * events at or before the reaction's origin (the log's head when it first started) happened before it existed.
   */
  acts(event: RecordedEvent): boolean;
  /** A realtime message, published after the batch commits (dropped if it rolls back). */
  emit(message: RoomMessage): void;
  /** Runs a job of this process soon after the batch commits, so work it just recorded starts at once. */
  wake(job: string, position: Position): void;
}

/**
 * A checkpointed subscription to the log that turns events into job-owned rows (and realtime messages, and jobs
 * to wake): run by the reactor, a second instance of the projector's runner, in batches applied in one
 * transaction with its checkpoint, so each event takes effect exactly once. Reactions never write read models.
 */
export interface Reaction {
  /** Stable: its checkpoint row is `reaction:<name>`, its origin row `<name>`. */
  readonly name: string;
  /** The job-owned tables it writes. */
  readonly tables: readonly string[];
  readonly eventTypes: readonly string[];
  /** The tables of the reactions before it that it reads; left out: any (what they queued is sent before it runs). */
  readonly reads?: readonly string[];
  apply(events: readonly RecordedEvent[], ctx: ReactionContext): Promise<void>;
}

/** The checkpoint row of a reaction, in `projection_checkpoints` beside the read models' (other names). */
export const reactionCheckpoint = (name: string): string => `reaction:${name}`;

const originOf = async (trx: Knex.Transaction, name: string): Promise<Position | null> => {
  const row = (await trx('reaction_origins').select('position').where({ name }).first()) as
    | { position: string }
    | undefined;
  return row?.position ?? null;
};

/** The origins a reactor has read, by reaction name: forgotten at each start, since a reset may have removed them. */
export type OriginCache = Map<string, Position>;

/** The reaction as the runner sees it: a projection whose tables are job-owned. */
export const asProjection = (reaction: Reaction, origins: OriginCache = new Map()): Projection => ({
  name: reactionCheckpoint(reaction.name),
  tables: reaction.tables,
  eventTypes: reaction.eventTypes,
  ...(reaction.reads ? { reads: reaction.reads } : {}),
  async apply(events, ctx) {
    // Origins never change once recorded; until one is (a runner started without the reactor's start-up), START.
    let from = origins.get(reaction.name);
    if (from === undefined) {
      const recorded = await originOf(ctx.trx, reaction.name);
      if (recorded !== null) origins.set(reaction.name, recorded);
      from = recorded ?? START;
    }
    const origin = from;
    await reaction.apply(events, {
      trx: ctx.trx,
      writes: ctx.writes,
      acts: (event) => event.position > origin,
      emit: ctx.emit,
      wake: (job, position) => ctx.emit(wakeMessage(job, position)),
    });
  },
});

import type { Knex } from 'knex';
import type { Position, RecordedEvent } from '../eventstore/port';
import type { WriteBatch } from './shared/sql';

/**
 * A realtime message produced while applying a batch, published only after the batch's transaction commits.
 * `room` is `project:<projectId>`, `user:<userId>` or a control room (`__memberships__`); `message` is exactly
 * what API.md shows on the WebSocket (type, position, occurred_at, actor_id, …), serialized once per room by
 * the publisher.
 */
export interface RoomMessage {
  room: string;
  position: Position;
  message: Record<string, unknown> & { type: string; position: Position };
}

/**
 * Where the projector sends a committed batch's messages. Declared here, by the side that needs it, so that
 * projections never import realtime: the realtime bus has this shape, and the composition root passes it in.
 */
export interface Publisher {
  publish(messages: readonly RoomMessage[]): Promise<void>;
  /**
   * Messages may have gone to no one (a batch committed without the projector hearing of it, a projector that died
   * between a commit and its publish): every subscriber fills its sockets from the feeds.
   */
  announceGap?(): Promise<void>;
}

/** What a projection gets for one batch. */
export interface ProjectionContext {
  /** The batch's transaction: the same one that stores the checkpoint. */
  trx: Knex.Transaction;
  /** Maps a logical table name to the physical one (a shadow table while rebuilding). */
  table(name: string): string;
  /** Queues a realtime message; sent after commit, dropped on rollback. Ignored during a rebuild. */
  emit(message: RoomMessage): void;
  /** True while replaying into shadow tables (no realtime, no side effects). */
  rebuilding: boolean;
  /**
   * Writes that may wait for the end of the batch, on `trx`: the runner sends them with the checkpoints' update,
   * in one statement, or earlier, before a later projection that reads their tables runs (`Projection.reads`). A
   * projection that queues a write and then reads that table itself must `flush()` first.
   */
  writes: WriteBatch;
}

/**
 * One read model: the tables it owns (created by its migration) and how a batch of events changes them.
 * `apply` must be idempotent (an event at or below the checkpoint is never passed again, but a rebuilt table
 * may see events it has from a copied state) and must write only through `ctx.trx` (or `ctx.writes`).
 */
export interface Projection {
  readonly name: string;
  /** Logical names of the tables it owns, in creation order. */
  readonly tables: readonly string[];
  /** The event types it handles; others are not passed to it. */
  readonly eventTypes: readonly string[];
  /**
   * The tables of the projections before it that it reads (logical names): what they queued in `ctx.writes` for
   * one of these is sent before it runs. Left out: it may read any of them, so everything queued is sent first.
   */
  readonly reads?: readonly string[];
  apply(events: readonly RecordedEvent[], ctx: ProjectionContext): Promise<void>;
}

import type { Knex } from 'knex';
import { type EventStore, type Position, START } from '../../../eventstore/port';
import type { Projection } from '../../projection';

export type RebuildPhase = 'preparing' | 'replaying' | 'indexing' | 'swapping' | 'done';

export interface RebuildProgress {
  phase: RebuildPhase;
  /** How far the shadow tables got. */
  position: Position;
  /** Where the rebuild is heading: the live checkpoint while a projector runs, else the log's head. It moves. */
  target: Position;
  /** Events replayed by this run (a resumed rebuild starts again from 0). */
  eventsRead: number;
  /** Events applied to the shadow tables in total, resumed runs included. */
  eventsApplied: number;
  elapsedMs: number;
}

/** One rebuild under way: what it works on, and the tally its phases move as the shadow tables fill. */
export interface RebuildRun {
  readonly store: EventStore;
  readonly knex: Knex;
  readonly projection: Projection;
  /** Events per read and per shadow transaction. */
  readonly batchSize: number;
  readonly projectorLock: string;
  /** The other event store whose log the live checkpoint is a position in, when this rebuild switches stores. */
  readonly switchingFrom: string | null;
  readonly resumed: boolean;
  readonly startedAt: number;
  readonly onProgress: ((progress: RebuildProgress) => void) | undefined;
  readonly afterBatch: ((position: Position) => Promise<void> | void) | undefined;
  position: Position;
  target: Position;
  eventsRead: number;
  eventsApplied: number;
  /** When the log's head was last looked up: it only feeds the progress report, so not for every batch. */
  headCheckedAt: number;
}

export const reportProgress = (run: RebuildRun, phase: RebuildPhase): void =>
  run.onProgress?.({
    phase,
    position: run.position,
    target: run.target,
    eventsRead: run.eventsRead,
    eventsApplied: run.eventsApplied,
    elapsedMs: Date.now() - run.startedAt,
  });

/** The event store a checkpoint row is a position of, when that is not `store` and the row has moved at all. */
export const otherStore = (
  row: { position: Position; store: string | null } | null | undefined,
  store: string,
): string | null => (row?.store != null && row.store !== store && row.position !== START ? row.store : null);

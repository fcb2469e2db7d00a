import type { Knex } from 'knex';
import { type EventStore, type Position, START } from '../../eventstore/port';
import { type ProjectionState, readCheckpoints } from './checkpoints';

export interface ProjectionStatus {
  name: string;
  checkpoint: Position;
  /** Events in the log after the checkpoint, counted up to `lagCountLimit` (the figure is "at least" there). */
  lagEvents: number;
  /** How long the oldest event not yet applied has been in the log; 0 when caught up. */
  lagMs: number;
  state: ProjectionState;
  eventsApplied: number;
  updatedAt: Date | null;
}

export interface StatusOptions {
  store: EventStore;
  knex: Knex;
  names: readonly string[];
  /** Counting reads the events, so it stops here; the port has no cheaper count. */
  lagCountLimit?: number;
  now?: () => number;
}

/**
 * The projections' checkpoints and lag, read from the database and the log, so any process (a metrics
 * endpoint, the admin API, a standby projector) can report it. Lag is measured from the oldest event still
 * waiting rather than the last one applied, so a quiet log reads as 0, not as time since the last write.
 */
export const readProjectionStatus = async (options: StatusOptions): Promise<ProjectionStatus[]> => {
  const { store, knex, names } = options;
  const limit = options.lagCountLimit ?? 10_000;
  const now = options.now ?? Date.now;
  const rows = new Map((await readCheckpoints(knex, names)).map((r) => [r.name, r]));
  const lagByPosition = new Map<Position, Promise<{ events: number; ms: number }>>();
  const lagAfter = (position: Position) => {
    let lag = lagByPosition.get(position);
    if (!lag) {
      lag = store.readAll({ fromPosition: position, maxCount: limit }).then((events) => ({
        events: events.length,
        ms: events[0] ? Math.max(0, now() - events[0].recordedAt.getTime()) : 0,
      }));
      lagByPosition.set(position, lag);
    }
    return lag;
  };
  return Promise.all(
    names.map(async (name) => {
      const row = rows.get(name);
      const checkpoint = row?.position ?? START;
      const lag = await lagAfter(checkpoint);
      return {
        name,
        checkpoint,
        lagEvents: lag.events,
        lagMs: lag.ms,
        state: row?.state ?? 'live',
        eventsApplied: row?.eventsApplied ?? 0,
        updatedAt: row?.updatedAt ?? null,
      };
    }),
  );
};

import type { Knex } from 'knex';
import { decodePosition, type EventStore, type Position } from '../../../eventstore/port';
import type { ProjectionStatus } from '../status';
import { rebuildsRunning } from './rebuild-lock';

/**
 * `live`; `rebuilding` while some process holds the projection's rebuild lock; `interrupted` when a rebuild
 * stopped midway (its process died or was stopped): the live tables are still served and kept current, and the
 * next rebuild resumes from its progress (or `--abort` drops it).
 */
export type ProjectionRunState = 'live' | 'rebuilding' | 'interrupted';

export interface RebuildProgressReport {
  /** How far the shadow tables got. */
  position: Position;
  eventsApplied: number;
  /** The log's head now: where a rebuild heads (the live checkpoint, at most that, while a projector runs). */
  target: Position;
  /** Along the log (not in events), 0–100, one decimal. */
  percent: number;
  startedAt: Date;
  updatedAt: Date;
  /** Events applied per second since it started (a resumed rebuild counts from its first start). */
  eventsPerSecond: number | null;
  /** Seconds left at the pace so far along the log; null until there is a pace, or while interrupted. */
  etaSeconds: number | null;
}

export interface ProjectionOverview extends Omit<ProjectionStatus, 'state'> {
  kind: 'read_model' | 'reaction';
  state: ProjectionRunState;
  /** Read models are; reactions are not (their tables record what they did, like notifications sent). */
  rebuildable: boolean;
  /** A rebuild under way or interrupted; null otherwise. */
  rebuild: RebuildProgressReport | null;
}

interface ProgressRow {
  name: string;
  position: string;
  events_applied: string | number;
  started_at: Date;
  updated_at: Date;
}

/**
 * How far along the log a position is: the low half grows with the log (the event sequence in PostgreSQL, the
 * prepare position in EventStoreDB), so progress and ETA need no event count.
 */
export const logOffset = (position: Position): number => Number(decodePosition(position).low);

const progressReport = (
  row: ProgressRow,
  head: Position,
  running: boolean,
  now: number,
): RebuildProgressReport => {
  const done = logOffset(row.position);
  const total = Math.max(logOffset(head), done, 1);
  const seconds = (row.updated_at.getTime() - row.started_at.getTime()) / 1000;
  const eventsApplied = Number(row.events_applied);
  // Pace along the log, measured up to the last committed batch; the time since then counts against the ETA.
  const pace = seconds > 0 && done > 0 ? done / seconds : null;
  const sinceUpdate = Math.max(0, (now - row.updated_at.getTime()) / 1000);
  return {
    position: row.position,
    eventsApplied,
    target: head > row.position ? head : row.position,
    percent: Math.floor((done / total) * 1000) / 10,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    eventsPerSecond: seconds > 0 ? Math.round(eventsApplied / seconds) : null,
    etaSeconds:
      running && pace !== null ? Math.max(0, Math.round((total - done) / pace - sinceUpdate)) : null,
  };
};

/**
 * The admin view of every projection: the runners' status (checkpoint, lag, events applied) with whether it is
 * being rebuilt, by whom (any process: the rebuild locks), and how far. Read from the database and the log only,
 * so every process, and the command-line tool, reports the same.
 */
export const describeProjections = async (options: {
  knex: Knex;
  store: Pick<EventStore, 'headPosition'>;
  readModels: readonly ProjectionStatus[];
  reactions: readonly ProjectionStatus[];
  now?: () => number;
}): Promise<ProjectionOverview[]> => {
  const { knex } = options;
  const names = options.readModels.map((s) => s.name);
  const [running, progress, head] = await Promise.all([
    rebuildsRunning(knex, names),
    knex.raw<{ rows: ProgressRow[] }>(
      `SELECT name, position, events_applied, started_at, updated_at FROM projection_rebuilds
       WHERE name IN (SELECT jsonb_array_elements_text(?::jsonb))`,
      [JSON.stringify(names)],
    ),
    options.store.headPosition(),
  ]);
  const rows = new Map(progress.rows.map((r) => [r.name, r]));
  const now = (options.now ?? Date.now)();
  const readModels = options.readModels.map((status): ProjectionOverview => {
    const isRunning = running.has(status.name);
    const row = rows.get(status.name);
    const state: ProjectionRunState = isRunning
      ? 'rebuilding'
      : status.state === 'rebuilding'
        ? 'interrupted'
        : 'live';
    return {
      ...status,
      kind: 'read_model',
      state,
      rebuildable: true,
      rebuild: row && state !== 'live' ? progressReport(row, head, isRunning, now) : null,
    };
  });
  const reactions = options.reactions.map(
    (status): ProjectionOverview => ({
      ...status,
      kind: 'reaction',
      state: 'live',
      rebuildable: false,
      rebuild: null,
    }),
  );
  return [...readModels, ...reactions];
};

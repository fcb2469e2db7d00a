import type { Knex } from 'knex';
import { type Position, type RecordedEvent, maxPosition } from '../../../eventstore/port';
import type { ProjectionContext } from '../../projection';
import { handles } from '../handles';
import { WriteBatch } from '../../shared/sql';
import { liveState, saveRebuildProgress } from './rebuild-progress';
import { type RebuildRun, reportProgress } from './run';
import { shadowName } from './shadow-tables';

const HEAD_CHECK_MS = 2000;

/** The prefix of `events` (in log order) at or below `limit`; all of them when there is no limit. */
export const upTo = (events: readonly RecordedEvent[], limit: Position | null): readonly RecordedEvent[] => {
  if (limit === null) return events;
  let end = events.length;
  while (end > 0 && events[end - 1]!.position > limit) end -= 1;
  return events.slice(0, end);
};

/**
 * One batch of the log after `from`. Unfiltered on purpose: PostgreSQL plans a type-filtered read as "sort the
 * whole rest of the log" (it cannot estimate the filter), which makes a rebuild quadratic; reading everything
 * stays a linear index scan.
 */
export const readLog = (run: RebuildRun, from: Position): Promise<RecordedEvent[]> =>
  run.projection.eventTypes.length === 0
    ? Promise.resolve([])
    : run.store.readAll({ fromPosition: from, maxCount: run.batchSize });

/** The projection writes to the shadows; its realtime messages are dropped (the projector sends them). */
const shadowContext = (run: RebuildRun, trx: Knex.Transaction): ProjectionContext => ({
  trx,
  table: (table) => (run.projection.tables.includes(table) ? shadowName(table) : table),
  emit: () => undefined,
  rebuilding: true,
  writes: new WriteBatch(trx),
});

/** Applies events to the shadows in the caller's transaction; returns the totals after them. */
export const applyToShadows = async (
  run: RebuildRun,
  trx: Knex.Transaction,
  events: readonly RecordedEvent[],
  appliedBefore: number,
): Promise<{ position: Position; eventsApplied: number }> => {
  const mine = events.filter((e) => handles(run.projection, e.type));
  if (mine.length > 0) {
    const ctx = shadowContext(run, trx);
    await run.projection.apply(mine, ctx);
    await ctx.writes.flush();
  }
  return { position: events[events.length - 1]!.position, eventsApplied: appliedBefore + mine.length };
};

/** How far the shadows may go now (null: to the end of the log); moves the progress report's target. */
const shadowLimit = async (run: RebuildRun): Promise<Position | null> => {
  const live = await liveState(run.knex, run.projection.name, run.projectorLock);
  if (live.projectorRunning && !run.switchingFrom) {
    run.target = live.position;
    return live.position;
  }
  if (Date.now() - run.headCheckedAt > HEAD_CHECK_MS) {
    run.headCheckedAt = Date.now();
    run.target = maxPosition(run.target, await run.store.headPosition());
  }
  run.target = maxPosition(run.target, maxPosition(live.position, run.position));
  return null;
};

/** One batch into the shadows, committed with the progress row. */
const commitBatch = async (run: RebuildRun, events: readonly RecordedEvent[]): Promise<void> => {
  const done = await run.knex.transaction(async (trx) => {
    // Losing the last commits to an OS crash is harmless: data and progress go together.
    await trx.raw('SET LOCAL synchronous_commit = off');
    // The shadow tables grow from empty: a generic plan of a prepared statement made while one was small (a
    // sequential scan) would stay while it grows. Each statement is planned for the table as it is.
    await trx.raw('SET LOCAL plan_cache_mode = force_custom_plan');
    const result = await applyToShadows(run, trx, events, run.eventsApplied);
    await saveRebuildProgress(trx, run.projection.name, result);
    return result;
  });
  run.position = done.position;
  run.eventsApplied = done.eventsApplied;
  run.eventsRead += events.length;
  await run.afterBatch?.(run.position);
};

/** Replays batch by batch, each committed with the progress row, until it reaches the limit as it moves. */
export const replayIntoShadows = async (run: RebuildRun): Promise<void> => {
  let next = readLog(run, run.position);
  for (;;) {
    const events = await next;
    const usable = upTo(events, await shadowLimit(run));
    const more = usable.length === events.length && events.length === run.batchSize;
    // Read the next batch while this one is written.
    if (more) next = readLog(run, usable[usable.length - 1]!.position);
    if (usable.length > 0) await commitBatch(run, usable);
    reportProgress(run, 'replaying');
    if (!more) return;
  }
};

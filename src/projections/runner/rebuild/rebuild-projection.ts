import type { Knex } from 'knex';
import type { EventStore, Position, RecordedEvent } from '../../../eventstore/port';
import { START, maxPosition } from '../../../eventstore/port';
import type { Projection, ProjectionContext } from '../../projection';
import { checkpointOf, ensureCheckpoints, lockCheckpoints } from '../checkpoints';
import { handles } from '../handles';
import { type RunnerLogger, silentLogger } from '../logger';
import { type PgConnection, connectionOf } from '../pg-connection';
import { PROJECTOR_LOCK } from '../projector-options';
import { sleep } from '../sleep';
import { quoteIdent } from './catalog';
import { takeRebuildLock } from './rebuild-lock';
import {
  clearRebuildProgress,
  holdProjectorOff,
  liveState,
  readRebuildProgress,
  saveRebuildProgress,
  setProjectionState,
  startRebuildProgress,
} from './rebuild-progress';
import {
  buildMissingIndexes,
  checkRebuildable,
  createShadowTables,
  dropShadowTables,
  shadowName,
  shadowTablesExist,
  swapShadowTables,
} from './shadow-tables';

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

export interface RebuildOptions {
  store: EventStore;
  knex: Knex;
  projection: Projection;
  onProgress?: (progress: RebuildProgress) => void;
  /** Events per read and per shadow transaction. */
  batchSize?: number;
  /** Start over even if an interrupted rebuild left shadow tables and progress behind. */
  fresh?: boolean;
  /** How long the swap waits for readers and the projector before trying again. */
  lockTimeoutMs?: number;
  swapAttempts?: number;
  /** The projector's advisory lock name, to tell whether one runs. */
  projectorLock?: string;
  /** For the rebuild's advisory lock session; defaults to knex's connection settings. */
  connection?: PgConnection;
  logger?: RunnerLogger;
  /** Test seam: runs after each committed shadow batch; throwing interrupts the rebuild there. */
  afterBatch?: (position: Position) => Promise<void> | void;
}

export interface RebuildResult {
  /** The projection's checkpoint once the rebuilt tables are live. */
  position: Position;
  eventsApplied: number;
  resumed: boolean;
  elapsedMs: number;
}

const LOCK_TIMEOUT = '55P03';
const HEAD_CHECK_MS = 2000;

/** The prefix of `events` (in log order) at or below `limit`; all of them when there is no limit. */
const upTo = (events: readonly RecordedEvent[], limit: Position | null): readonly RecordedEvent[] => {
  if (limit === null) return events;
  let end = events.length;
  while (end > 0 && events[end - 1]!.position > limit) end -= 1;
  return events.slice(0, end);
};

/**
 * Rebuilds a read model without downtime. The log is replayed into shadow tables (`<table>__rebuild`) in large
 * batches, each committed with the rebuild's own progress row, while the projector keeps the live tables current.
 * While a projector runs, the shadows never go past its checkpoint for this projection (it carries on from there,
 * realtime messages included); with none running they go to the head of the log. Then, in one transaction that
 * first locks the projection's checkpoint row (every projector batch locks it first too, so the two never
 * interleave), the rest is applied and the shadows replace the live tables. Readers use the old tables until
 * that commit and the new ones after it.
 */
export const rebuildProjection = async (options: RebuildOptions): Promise<RebuildResult> => {
  const { store, knex, projection } = options;
  const { name, tables } = projection;
  const logger = options.logger ?? silentLogger;
  const batchSize = options.batchSize ?? 5000;
  const projectorLock = options.projectorLock ?? PROJECTOR_LOCK;
  const startedAt = Date.now();
  const release = await takeRebuildLock(options.connection ?? connectionOf(knex), name);
  try {
    await checkRebuildable(knex, tables);
    await ensureCheckpoints(knex, [name]);
    // Rebuilding from another event store's log is how a deployment switches stores: the live checkpoint is a
    // position in the old log, so it limits nothing and the swap replaces it. A projector still reading the old
    // log would go on writing over the rebuilt tables.
    const before = await checkpointOf(knex, name);
    const otherStore = (row: { position: Position; store: string | null } | null | undefined) =>
      row?.store != null && row.store !== store.kind && row.position !== START ? row.store : null;
    const switchingFrom = otherStore(before);
    if (switchingFrom && (await liveState(knex, name, projectorLock)).projectorRunning)
      throw new Error(
        `${name}: its checkpoint is a position in the ${switchingFrom} event store's log and a projector is ` +
          `running; stop it before rebuilding from the ${store.kind} event store`,
      );
    await setProjectionState(knex, name, 'rebuilding');

    const progress = options.fresh ? null : await readRebuildProgress(knex, name);
    // Progress made reading another log is no progress in this one.
    const saved = progress && (progress.store === null || progress.store === store.kind) ? progress : null;
    const resumed = saved !== null && (await shadowTablesExist(knex, tables));
    if (!resumed) {
      await knex.transaction(async (trx) => {
        await createShadowTables(trx, tables);
        await startRebuildProgress(trx, name, store.kind);
      });
    }
    let position: Position = resumed ? saved.position : START;
    let eventsApplied = resumed ? saved.eventsApplied : 0;
    let eventsRead = 0;
    let target: Position = position;
    const report = (phase: RebuildPhase) =>
      options.onProgress?.({
        phase,
        position,
        target,
        eventsRead,
        eventsApplied,
        elapsedMs: Date.now() - startedAt,
      });
    report('preparing');

    const shadows = new Map(tables.map((t) => [t, shadowName(t)]));
    const contextFor = (trx: Knex.Transaction): ProjectionContext => ({
      trx,
      table: (table) => shadows.get(table) ?? table,
      emit: () => undefined,
      rebuilding: true,
    });
    // Unfiltered on purpose: PostgreSQL plans a type-filtered read as "sort the whole rest of the log" (it
    // cannot estimate the filter), which makes a rebuild quadratic; reading everything stays a linear index scan.
    const read = (from: Position): Promise<RecordedEvent[]> =>
      projection.eventTypes.length === 0
        ? Promise.resolve([])
        : store.readAll({ fromPosition: from, maxCount: batchSize });

    /** Applies events to the shadows in the caller's transaction; returns the totals after them. */
    const applyToShadows = async (
      trx: Knex.Transaction,
      events: readonly RecordedEvent[],
      appliedBefore: number,
    ) => {
      const mine = events.filter((e) => handles(projection, e.type));
      if (mine.length > 0) await projection.apply(mine, contextFor(trx));
      return { position: events[events.length - 1]!.position, eventsApplied: appliedBefore + mine.length };
    };

    // The head only feeds the progress report: look it up now and then, not for every batch.
    let headCheckedAt = 0;
    /** How far the shadows may go now (null: to the end of the log), and where that is for the progress report. */
    const currentLimit = async (): Promise<Position | null> => {
      const live = await liveState(knex, name, projectorLock);
      if (live.projectorRunning && !switchingFrom) {
        target = live.position;
        return live.position;
      }
      if (Date.now() - headCheckedAt > HEAD_CHECK_MS) {
        headCheckedAt = Date.now();
        target = maxPosition(target, await store.headPosition());
      }
      target = maxPosition(target, maxPosition(live.position, position));
      return null;
    };

    /** Replays batch by batch, each committed with the progress row, until it reaches the limit as it moves. */
    const replayUnlocked = async () => {
      let next = read(position);
      for (;;) {
        const events = await next;
        const usable = upTo(events, await currentLimit());
        const more = usable.length === events.length && events.length === batchSize;
        // Read the next batch while this one is written.
        if (more) next = read(usable[usable.length - 1]!.position);
        if (usable.length > 0) {
          const done = await knex.transaction(async (trx) => {
            // Losing the last commits to an OS crash is harmless: data and progress go together.
            await trx.raw('SET LOCAL synchronous_commit = off');
            const result = await applyToShadows(trx, usable, eventsApplied);
            await saveRebuildProgress(trx, name, result);
            return result;
          });
          ({ position, eventsApplied } = done);
          eventsRead += usable.length;
          await options.afterBatch?.(position);
        }
        report('replaying');
        if (!more) return;
      }
    };

    await replayUnlocked();
    report('indexing');
    await knex.transaction(async (trx) => {
      await trx.raw("SET LOCAL maintenance_work_mem = '256MB'");
      await buildMissingIndexes(trx, tables);
      for (const table of tables) await trx.raw(`ANALYZE ${quoteIdent(shadowName(table))}`);
    });

    const attempts = options.swapAttempts ?? 5;
    for (let attempt = 1; ; attempt += 1) {
      // Close the gap the projector opened meanwhile, so the locked part stays short.
      await replayUnlocked();
      report('swapping');
      try {
        const done = await knex.transaction(async (trx) => {
          await trx.raw(`SET LOCAL lock_timeout = '${options.lockTimeoutMs ?? 5000}ms'`);
          // From here a running projector waits for this transaction before its next batch…
          const locked = (await lockCheckpoints(trx, [name])).get(name) ?? START;
          // …and one that is not running cannot start before it ends.
          const running = !(await holdProjectorOff(trx, projectorLock));
          const from = otherStore(await checkpointOf(trx, name));
          if (from && running)
            throw new Error(
              `${name}: a projector reading the ${from} event store started during the rebuild; stop it and ` +
                'run the rebuild again',
            );
          const live = from ? START : locked;
          const limit = running ? live : null;
          let current = { position, eventsApplied };
          for (;;) {
            const events = await read(current.position);
            const usable = upTo(events, limit);
            if (usable.length > 0) current = await applyToShadows(trx, usable, current.eventsApplied);
            if (usable.length < batchSize) break;
          }
          await swapShadowTables(trx, tables);
          const checkpoint = maxPosition(live, current.position);
          await trx.raw(
            `UPDATE projection_checkpoints
             SET position = ?, store = ?, state = 'live', events_applied = ?, updated_at = now()
             WHERE name = ?`,
            [checkpoint, store.kind, current.eventsApplied, name],
          );
          await clearRebuildProgress(trx, name);
          return { checkpoint, ...current };
        });
        position = done.position;
        eventsApplied = done.eventsApplied;
        target = done.checkpoint;
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== LOCK_TIMEOUT || attempt >= attempts) throw error;
        logger.warn({ projection: name, attempt }, 'rebuild swap waited too long for locks, trying again');
        await sleep(200 * attempt);
      }
    }
    report('done');
    return { position: target, eventsApplied, resumed, elapsedMs: Date.now() - startedAt };
  } finally {
    await release();
  }
};

/** Gives up an interrupted rebuild: drops its shadow tables and progress; the live tables are untouched. */
export const abortRebuild = async (options: {
  knex: Knex;
  projection: Projection;
  connection?: PgConnection;
}): Promise<void> => {
  const { knex, projection } = options;
  const release = await takeRebuildLock(options.connection ?? connectionOf(knex), projection.name);
  try {
    await knex.transaction(async (trx) => {
      await dropShadowTables(trx, projection.tables);
      await clearRebuildProgress(trx, projection.name);
      await setProjectionState(trx, projection.name, 'live');
    });
  } finally {
    await release();
  }
};

import type { Knex } from 'knex';
import { type Position, START, maxPosition } from '../../../eventstore/port';
import { checkpointOf, lockCheckpoints } from '../checkpoints';
import type { RunnerLogger } from '../logger';
import { sleep } from '../sleep';
import { clearRebuildProgress, holdProjectorOff } from './rebuild-progress';
import { applyToShadows, readLog, replayIntoShadows, upTo } from './replay';
import { type RebuildRun, otherStore, reportProgress } from './run';
import { swapShadowTables } from './shadow-tables';

const LOCK_TIMEOUT = '55P03';

export interface SwapOptions {
  /** How long the swap waits for readers and the projector before trying again. */
  lockTimeoutMs: number;
  attempts: number;
  logger: RunnerLogger;
}

/**
 * Closes the gap the projector opened meanwhile (so the locked part stays short), then swaps the shadows in; a
 * swap that waited too long for its locks is tried again after a pause.
 */
export const swapIn = async (run: RebuildRun, options: SwapOptions): Promise<void> => {
  for (let attempt = 1; ; attempt += 1) {
    await replayIntoShadows(run);
    reportProgress(run, 'swapping');
    try {
      const done = await run.knex.transaction((trx) => swapInTransaction(run, trx, options.lockTimeoutMs));
      run.position = done.position;
      run.eventsApplied = done.eventsApplied;
      run.target = done.checkpoint;
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== LOCK_TIMEOUT || attempt >= options.attempts) throw error;
      options.logger.warn(
        { projection: run.projection.name, attempt },
        'rebuild swap waited too long for locks, trying again',
      );
      await sleep(200 * attempt);
    }
  }
};

/** The swap itself: the rest of the log, the table swap and the new live checkpoint, in one transaction. */
const swapInTransaction = async (run: RebuildRun, trx: Knex.Transaction, lockTimeoutMs: number) => {
  await trx.raw(`SET LOCAL lock_timeout = '${lockTimeoutMs}ms'`);
  const { live, limit } = await holdLiveCheckpoint(run, trx);
  const current = await replayRest(run, trx, limit);
  await swapShadowTables(trx, run.projection.tables);
  const checkpoint = maxPosition(live, current.position);
  await goLive(run, trx, checkpoint, current.eventsApplied);
  return { checkpoint, ...current };
};

/**
 * Locks the projection's checkpoint row and keeps a projector that is not running from starting; returns the
 * live checkpoint and how far the shadows may go (null: to the end of the log).
 */
const holdLiveCheckpoint = async (
  run: RebuildRun,
  trx: Knex.Transaction,
): Promise<{ live: Position; limit: Position | null }> => {
  const { name } = run.projection;
  // From here a running projector waits for this transaction before its next batch…
  const locked = (await lockCheckpoints(trx, [name])).get(name) ?? START;
  // …and one that is not running cannot start before it ends.
  const running = !(await holdProjectorOff(trx, run.projectorLock));
  const from = otherStore(await checkpointOf(trx, name), run.store.kind);
  if (from && running)
    throw new Error(
      `${name}: a projector reading the ${from} event store started during the rebuild; stop it and ` +
        'run the rebuild again',
    );
  const live = from ? START : locked;
  return { live, limit: running ? live : null };
};

/** Applies what is left of the log, up to `limit`, to the shadows inside the swap's transaction. */
const replayRest = async (run: RebuildRun, trx: Knex.Transaction, limit: Position | null) => {
  let current = { position: run.position, eventsApplied: run.eventsApplied };
  for (;;) {
    const usable = upTo(await readLog(run, current.position), limit);
    if (usable.length > 0) current = await applyToShadows(run, trx, usable, current.eventsApplied);
    if (usable.length < run.batchSize) return current;
  }
};

/** The swapped-in tables' checkpoint, in this store's log, with the state back to live and no progress row. */
const goLive = async (
  run: RebuildRun,
  trx: Knex.Transaction,
  checkpoint: Position,
  eventsApplied: number,
) => {
  await trx.raw(
    `UPDATE projection_checkpoints
     SET position = ?, store = ?, state = 'live', events_applied = ?, updated_at = now()
     WHERE name = ?`,
    [checkpoint, run.store.kind, eventsApplied, run.projection.name],
  );
  await clearRebuildProgress(trx, run.projection.name);
};

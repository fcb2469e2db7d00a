import type { Knex } from 'knex';
import type { EventStore, Position } from '../../../eventstore/port';
import { START } from '../../../eventstore/port';
import type { Projection } from '../../projection';
import { checkpointOf, ensureCheckpoints } from '../checkpoints';
import { type RunnerLogger, silentLogger } from '../logger';
import { type PgConnection, connectionOf } from '../pg-connection';
import { PROJECTOR_LOCK } from '../projector-options';
import { quoteIdent } from './catalog';
import { takeRebuildLock } from './rebuild-lock';
import {
  clearRebuildProgress,
  liveState,
  readRebuildProgress,
  setProjectionState,
  startRebuildProgress,
} from './rebuild-progress';
import { replayIntoShadows } from './replay';
import { type RebuildProgress, type RebuildRun, otherStore, reportProgress } from './run';
import {
  buildMissingIndexes,
  checkRebuildable,
  createShadowTables,
  dropShadowTables,
  shadowName,
  shadowTablesExist,
} from './shadow-tables';
import { swapIn } from './swap';

export type { RebuildPhase, RebuildProgress } from './run';

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
  /**
   * The rebuild lock, already taken by the caller (`takeRebuildLock`'s release): the caller learns at once whether
   * another process is rebuilding (the admin API's 409) and the rebuild releases it when it ends.
   */
  heldLock?: () => Promise<void>;
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

/**
 * Rebuilding from another event store's log is how a deployment switches stores: the live checkpoint is a
 * position in the old log, so it limits nothing and the swap replaces it. A projector still reading the old log
 * would go on writing over the rebuilt tables, so that is refused. Returns the store being switched from.
 */
const checkStoreSwitch = async (
  knex: Knex,
  store: EventStore,
  name: string,
  projectorLock: string,
): Promise<string | null> => {
  const switchingFrom = otherStore(await checkpointOf(knex, name), store.kind);
  if (switchingFrom && (await liveState(knex, name, projectorLock)).projectorRunning)
    throw new Error(
      `${name}: its checkpoint is a position in the ${switchingFrom} event store's log and a projector is ` +
        `running; stop it before rebuilding from the ${store.kind} event store`,
    );
  return switchingFrom;
};

/** Finds an interrupted rebuild's shadows and progress to resume from, or creates fresh ones. */
const prepareShadows = async (
  knex: Knex,
  store: EventStore,
  projection: Projection,
  fresh: boolean,
): Promise<{ resumed: boolean; position: Position; eventsApplied: number }> => {
  const progress = fresh ? null : await readRebuildProgress(knex, projection.name);
  // Progress made reading another log is no progress in this one.
  const saved = progress && (progress.store === null || progress.store === store.kind) ? progress : null;
  if (saved !== null && (await shadowTablesExist(knex, projection.tables)))
    return { resumed: true, position: saved.position, eventsApplied: saved.eventsApplied };
  await knex.transaction(async (trx) => {
    await createShadowTables(trx, projection.tables);
    await startRebuildProgress(trx, projection.name, store.kind);
  });
  return { resumed: false, position: START, eventsApplied: 0 };
};

/** Checks that the projection can be rebuilt, marks it rebuilding, and sets up (or resumes) its shadows. */
const prepareRebuild = async (options: RebuildOptions, startedAt: number): Promise<RebuildRun> => {
  const { store, knex, projection } = options;
  const projectorLock = options.projectorLock ?? PROJECTOR_LOCK;
  await checkRebuildable(knex, projection.tables);
  await ensureCheckpoints(knex, [projection.name]);
  const switchingFrom = await checkStoreSwitch(knex, store, projection.name, projectorLock);
  await setProjectionState(knex, projection.name, 'rebuilding');
  const start = await prepareShadows(knex, store, projection, options.fresh ?? false);
  return {
    store,
    knex,
    projection,
    batchSize: options.batchSize ?? 5000,
    projectorLock,
    switchingFrom,
    resumed: start.resumed,
    startedAt,
    onProgress: options.onProgress,
    afterBatch: options.afterBatch,
    position: start.position,
    target: start.position,
    eventsRead: 0,
    eventsApplied: start.eventsApplied,
    headCheckedAt: 0,
  };
};

/** Builds the indexes left out of the bulk load, and analyses the shadows for the planner. */
const indexShadows = (knex: Knex, tables: readonly string[]): Promise<void> =>
  knex.transaction(async (trx) => {
    await trx.raw("SET LOCAL maintenance_work_mem = '256MB'");
    await buildMissingIndexes(trx, tables);
    for (const table of tables) await trx.raw(`ANALYZE ${quoteIdent(shadowName(table))}`);
  });

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
  const { knex, projection } = options;
  const startedAt = Date.now();
  const release =
    options.heldLock ?? (await takeRebuildLock(options.connection ?? connectionOf(knex), projection.name));
  try {
    const run = await prepareRebuild(options, startedAt);
    reportProgress(run, 'preparing');
    await replayIntoShadows(run);
    reportProgress(run, 'indexing');
    await indexShadows(knex, projection.tables);
    await swapIn(run, {
      lockTimeoutMs: options.lockTimeoutMs ?? 5000,
      attempts: options.swapAttempts ?? 5,
      logger: options.logger ?? silentLogger,
    });
    reportProgress(run, 'done');
    return {
      position: run.target,
      eventsApplied: run.eventsApplied,
      resumed: run.resumed,
      elapsedMs: Date.now() - startedAt,
    };
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

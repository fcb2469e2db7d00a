import type { Knex } from 'knex';
import type { EventStore } from '../../../eventstore/port';
import type { Projection } from '../../projection';
import { type RunnerLogger, silentLogger } from '../logger';
import { connectionOf, type PgConnection } from '../pg-connection';
import { RebuildInProgressError, takeRebuildLock } from './rebuild-lock';
import { type RebuildProgress, rebuildProjection } from './rebuild-projection';

/** `close()` interrupts a rebuild at its next batch: it stays resumable, its live tables untouched. */
export class RebuildStoppedError extends Error {
  override readonly name = 'RebuildStoppedError';
}

export interface BackgroundRebuildsOptions {
  store: EventStore;
  knex: Knex;
  /** The rebuildable read models. */
  projections: readonly Projection[];
  logger?: RunnerLogger;
  /** Events per read and per shadow transaction (default 5 000). */
  batchSize?: number;
  /** How often progress is logged while a rebuild replays (default 10 s); phase changes are always logged. */
  progressLogMs?: number;
  /** For the rebuild locks' sessions; defaults to knex's connection settings. */
  connection?: PgConnection;
}

export interface BackgroundRebuilds {
  /**
   * Takes the projection's rebuild lock (RebuildInProgressError when any process holds it), runs `before` (it may
   * refuse: the lock is then released and nothing started), then rebuilds in the background of this process.
   * Resolves once the rebuild is under way; its end and failure go to the log.
   */
  start(projection: Projection, before?: () => Promise<void>): Promise<void>;
  /** The projections this process is rebuilding. */
  running(): string[];
  /** Resolves when this process's rebuild of the projection ends (at once when there is none). */
  settled(name: string): Promise<void>;
  /** Interrupts this process's rebuilds at their next batch and waits for them to stop. */
  close(): Promise<void>;
}

/** Logs phase changes, and the replay's progress every `everyMs`. */
const progressLogger = (logger: RunnerLogger, name: string, everyMs: number) => {
  let phase = '';
  let loggedAt = 0;
  return (progress: RebuildProgress) => {
    const now = Date.now();
    if (progress.phase === phase && now - loggedAt < everyMs) return;
    phase = progress.phase;
    loggedAt = now;
    logger.info(
      {
        projection: name,
        phase: progress.phase,
        position: progress.position,
        target: progress.target,
        eventsApplied: progress.eventsApplied,
        eventsPerSecond: Math.round((progress.eventsRead * 1000) / Math.max(progress.elapsedMs, 1)),
      },
      `rebuilding ${name}: ${progress.phase}`,
    );
  };
};

/**
 * Rebuilds started by the admin API, run in the background of the process that was asked: the rebuild lock is
 * taken before the request is answered (so a second request, from any process, is refused at once), and it dies
 * with the process, leaving an interrupted rebuild that the next one resumes.
 */
export const createBackgroundRebuilds = (options: BackgroundRebuildsOptions): BackgroundRebuilds => {
  const logger = options.logger ?? silentLogger;
  const runs = new Map<string, Promise<void>>();
  let closing = false;

  const run = async (projection: Projection, release: () => Promise<void>): Promise<void> => {
    const { name } = projection;
    try {
      const result = await rebuildProjection({
        store: options.store,
        knex: options.knex,
        projection,
        heldLock: release,
        batchSize: options.batchSize,
        logger,
        onProgress: progressLogger(logger, name, options.progressLogMs ?? 10_000),
        afterBatch: () => {
          if (closing) throw new RebuildStoppedError(`the rebuild of ${name} was stopped by a shutdown`);
        },
      });
      logger.info(
        {
          projection: name,
          position: result.position,
          eventsApplied: result.eventsApplied,
          resumed: result.resumed,
          elapsedMs: result.elapsedMs,
        },
        `rebuilt ${name}: the new tables are live`,
      );
    } catch (error) {
      if (error instanceof RebuildStoppedError)
        logger.warn({ projection: name }, `${error.message}; the next rebuild resumes it`);
      else
        logger.error(
          { projection: name, err: error },
          `the rebuild of ${name} failed; its live tables are untouched and the next rebuild resumes it`,
        );
    }
  };

  return {
    async start(projection, before) {
      const { name } = projection;
      if (closing) throw new RebuildStoppedError('shutting down: no new rebuild');
      if (runs.has(name)) throw new RebuildInProgressError(`a rebuild of ${name} is already running`);
      // Held in the map while the lock is taken, so two requests to this process cannot both try.
      let started: () => void = () => undefined;
      runs.set(name, new Promise<void>((resolve) => (started = resolve)));
      try {
        const release = await takeRebuildLock(options.connection ?? connectionOf(options.knex), name);
        try {
          await before?.();
        } catch (error) {
          await release();
          throw error;
        }
        logger.info({ projection: name }, `rebuild of ${name} started`);
        const done = run(projection, release).finally(() => runs.delete(name));
        runs.set(name, done);
        started();
      } catch (error) {
        runs.delete(name);
        started();
        throw error;
      }
    },
    running: () => [...runs.keys()],
    settled: async (name) => {
      await runs.get(name);
      // A start still taking its lock resolves the placeholder; wait for the run that replaced it.
      if (runs.has(name)) await runs.get(name);
    },
    async close() {
      closing = true;
      await Promise.all([...runs.values()]);
      // A start that was taking its lock when close began has replaced its placeholder by now.
      await Promise.all([...runs.values()]);
    },
  };
};

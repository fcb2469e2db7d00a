import type { Knex } from 'knex';
import type { EventStore } from '../../eventstore/port';
import type { Publisher } from '../../projections/projection';
import { type RunnerLogger, silentLogger } from '../../projections/runner/logger';
import type { ProjectorHooks } from '../../projections/runner/projector-options';
import { createProjector, type Projector } from '../../projections/runner/projector';
import { sleep } from '../../projections/runner/sleep';
import { asProjection, type OriginCache, type Reaction } from './reaction';
import { routeWakeUps } from './wake';

/** The reactor's advisory lock: one active reactor per database, beside (not instead of) the projector. */
export const REACTOR_LOCK = 'tt_reactor';
/**
 * How long the reactor lets appends gather after a batch at the log's head (`ProjectorOptions.lingerMs`): under
 * load its batches hold more events (fewer statements per event), and it stays out of the projector's way, whose
 * batches requests and rooms wait on. Notifications and the jobs reactions wake come that much later at most.
 */
export const REACTOR_LINGER_MS = 20;
/** The channel the reactor NOTIFYs with the position it committed (`GET /notifications/?min_position=` waits on it). */
export const REACTIONS_CHANNEL = 'tt_reactions';

export interface ReactorOptions {
  store: EventStore;
  knex: Knex;
  reactions: readonly Reaction[];
  /** The realtime bus: notifications go to their users' rooms after each commit. */
  publisher: Publisher;
  /** Runs the named job in this process soon; called after the batch that asked for it committed. */
  wake(job: string): void;
  logger?: RunnerLogger;
  batchSize?: number;
  standbyRetryMs?: number;
  retryDelayMs?: number;
  /** Default REACTOR_LINGER_MS. */
  lingerMs?: number;
  /** Test seams, as the projector's. */
  hooks?: ProjectorHooks;
}

/** The reactor: the projector's runner, started once the reactions' origins are recorded. */
export interface Reactor extends Projector {
  /** Resolves once the reactions' origins are recorded (at the first start ever: the log's head then). */
  ready(): Promise<void>;
}

/**
 * Records, for each reaction that has none yet, the head of the log as its origin: what happened before the
 * reaction first ran is folded into its tables but not acted on.
 */
export const recordOrigins = async (
  knex: Knex,
  store: EventStore,
  names: readonly string[],
): Promise<void> => {
  const known = new Set(
    (
      (await knex('reaction_origins')
        .select('name')
        .whereIn('name', [...names])) as { name: string }[]
    ).map((r) => r.name),
  );
  const missing = names.filter((n) => !known.has(n));
  if (missing.length === 0) return;
  const head = await store.headPosition();
  await knex('reaction_origins')
    .insert(missing.map((name) => ({ name, position: head })))
    .onConflict('name')
    .ignore();
};

/**
 * A second instance of the projector's runner whose "projections" are the reactions: its own advisory lock
 * (`tt_reactor`), its own checkpoint rows (`reaction:<name>`), its own NOTIFY channel; batches applied with their
 * checkpoints in one transaction, realtime messages and job wake-ups after the commit.
 */
export const createReactor = (options: ReactorOptions): Reactor => {
  const logger = options.logger ?? silentLogger;
  const origins: OriginCache = new Map();
  const projector = createProjector({
    store: options.store,
    knex: options.knex,
    projections: options.reactions.map((reaction) => asProjection(reaction, origins)),
    publisher: routeWakeUps(options.publisher, options.wake),
    logger,
    label: 'reactor',
    lockName: REACTOR_LOCK,
    channel: REACTIONS_CHANNEL,
    batchSize: options.batchSize,
    standbyRetryMs: options.standbyRetryMs,
    retryDelayMs: options.retryDelayMs,
    lingerMs: options.lingerMs ?? REACTOR_LINGER_MS,
    hooks: options.hooks,
  });
  const names = options.reactions.map((r) => r.name);
  let starting: { stop: AbortController; done: Promise<void> } | null = null;
  let preparing = false;
  let recorded: Promise<void> | null = null;
  let markReady: () => void = () => undefined;
  const readiness = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const prepare = async (stop: AbortSignal): Promise<void> => {
    while (!stop.aborted) {
      try {
        recorded ??= recordOrigins(options.knex, options.store, names);
        await recorded;
        markReady();
        return;
      } catch (error) {
        recorded = null;
        logger.warn({ err: error }, 'reactor: cannot record the reactions’ origins, retrying');
        await sleep(1000, stop);
      }
    }
  };

  return {
    start() {
      if (starting) return;
      const stop = new AbortController();
      // Read again what may have changed while stopped (a reset of the reactions' tables records new origins).
      origins.clear();
      recorded = null;
      preparing = true;
      const done = prepare(stop.signal).then(() => {
        preparing = false;
        if (!stop.signal.aborted) projector.start();
      });
      starting = { stop, done };
    },
    async stop() {
      const current = starting;
      starting = null;
      current?.stop.abort();
      await current?.done;
      await projector.stop();
    },
    ready: () => readiness,
    get role() {
      return preparing ? 'standby' : projector.role;
    },
    get position() {
      return projector.position;
    },
    status: () => projector.status(),
  };
};

import { type Position, START } from '../../eventstore/port';
import { type ActiveRun, runActive } from './active-run';
import { CheckpointStoreMismatchError } from './checkpoints';
import { LeaderLock } from './leader-lock';
import { silentLogger } from './logger';
import { connectionOf } from './pg-connection';
import { PROJECTIONS_CHANNEL, PROJECTOR_LOCK, type ProjectorOptions } from './projector-options';
import { chainPublishing } from './publish-chain';
import { sleep } from './sleep';
import { type ProjectionStatus, readProjectionStatus } from './status';

export type ProjectorRole = 'stopped' | 'standby' | 'active';

export interface Projector {
  /** Starts competing for leadership in the background: standby until the lock is free, then active. */
  start(): void;
  /** Stops processing, waits for the batch in flight and releases the lock for a standby. */
  stop(): Promise<void>;
  readonly role: ProjectorRole;
  /** The last position this instance committed, or START. */
  readonly position: Position;
  status(): Promise<ProjectionStatus[]>;
}

/** One projector instance: its active run's settings, the lock it competes for, and its role. */
interface ProjectorInstance extends ActiveRun {
  readonly label: string;
  readonly lock: LeaderLock;
  /** How often a standby tries to take over. */
  readonly standbyRetryMs: number;
  role: ProjectorRole;
}

const instanceOf = (options: ProjectorOptions): ProjectorInstance => {
  const names = options.projections.map((p) => p.name);
  if (new Set(names).size !== names.length)
    throw new Error(`duplicate projection names: ${names.join(', ')}`);
  const logger = options.logger ?? silentLogger;
  const label = options.label ?? 'projector';
  const standbyRetryMs = options.standbyRetryMs ?? 500;
  return {
    store: options.store,
    knex: options.knex,
    projections: options.projections,
    names,
    channel: options.channel ?? PROJECTIONS_CHANNEL,
    batchSize: options.batchSize ?? 500,
    retryDelayMs: options.retryDelayMs ?? 1000,
    lingerMs: options.lingerMs ?? 0,
    logger,
    hooks: options.hooks,
    publishing: chainPublishing(options.publisher, logger),
    position: START,
    label,
    lock: new LeaderLock({
      connection: options.connection ?? connectionOf(options.knex),
      name: options.lockName ?? PROJECTOR_LOCK,
      retryMs: standbyRetryMs,
      logger,
      label,
    }),
    standbyRetryMs,
    role: 'stopped',
  };
};

/** Standby until the lock is free, active while it is held, standby again when it is lost, until `stop`. */
const competeForLeadership = async (instance: ProjectorInstance, stop: AbortSignal): Promise<void> => {
  while (!stop.aborted) {
    instance.role = 'standby';
    const lease = await instance.lock.acquire(stop);
    if (!lease) break;
    instance.role = 'active';
    instance.logger.info({ projections: instance.names }, `${instance.label} active`);
    try {
      await runActive(instance, AbortSignal.any([stop, lease.lost]));
    } finally {
      instance.role = 'standby';
      await lease.release();
    }
    if (!stop.aborted) {
      instance.logger.warn({}, `${instance.label} lost its lock, back to standby`);
      // Whatever cut this instance off may strike again: let a healthy standby take over first.
      await sleep(instance.standbyRetryMs * 4, stop);
    }
  }
  await instance.publishing.drained();
  instance.role = 'stopped';
};

const stoppedBy = (instance: ProjectorInstance, error: unknown): void => {
  if (error instanceof CheckpointStoreMismatchError)
    instance.logger.error({ err: error, store: error.store }, `${instance.label} stopped: ${error.message}`);
  else instance.logger.error({ err: error }, `${instance.label} stopped by an unexpected error`);
  instance.role = 'stopped';
};

/**
 * The projector runner: one active instance per database (PostgreSQL advisory lock), reading the log from the
 * lowest checkpoint and applying each batch to all projections in one transaction with their checkpoints.
 * Realtime messages go out after the commit, in order, and a failure to publish is only logged: clients
 * resume from the last position they saw.
 */
export const createProjector = (options: ProjectorOptions): Projector => {
  const instance = instanceOf(options);
  let stopping: AbortController | null = null;
  let running: Promise<void> | null = null;
  return {
    start() {
      if (running) return;
      stopping = new AbortController();
      instance.role = 'standby';
      running = competeForLeadership(instance, stopping.signal).catch((error: unknown) =>
        stoppedBy(instance, error),
      );
    },
    async stop() {
      stopping?.abort();
      await running;
      running = null;
      stopping = null;
    },
    get role() {
      return instance.role;
    },
    get position() {
      return instance.position;
    },
    status: () => readProjectionStatus({ store: options.store, knex: options.knex, names: instance.names }),
  };
};

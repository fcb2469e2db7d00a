import { type Position, START } from '../../eventstore/port';
import type { RoomMessage } from '../projection';
import { applyBatch } from './apply-batch';
import {
  CheckpointStoreMismatchError,
  claimCheckpoints,
  ensureCheckpoints,
  minCheckpoint,
} from './checkpoints';
import { LeaderLock } from './leader-lock';
import { silentLogger } from './logger';
import { connectionOf } from './pg-connection';
import { PROJECTIONS_CHANNEL, PROJECTOR_LOCK, type ProjectorOptions } from './projector-options';
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

class LeadershipLost extends Error {
  override readonly name = 'LeadershipLost';
}

/**
 * The projector runner: one active instance per database (PostgreSQL advisory lock), reading the log from the
 * lowest checkpoint and applying each batch to all projections in one transaction with their checkpoints.
 * Realtime messages go out after the commit, in order, and a failure to publish is only logged: clients
 * resume from the last position they saw.
 */
export const createProjector = (options: ProjectorOptions): Projector => {
  const { store, knex, projections, publisher, hooks } = options;
  const names = projections.map((p) => p.name);
  if (new Set(names).size !== names.length)
    throw new Error(`duplicate projection names: ${names.join(', ')}`);
  const logger = options.logger ?? silentLogger;
  const channel = options.channel ?? PROJECTIONS_CHANNEL;
  const batchSize = options.batchSize ?? 500;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const standbyRetryMs = options.standbyRetryMs ?? 500;
  const lock = new LeaderLock({
    connection: options.connection ?? connectionOf(knex),
    name: options.lockName ?? PROJECTOR_LOCK,
    retryMs: standbyRetryMs,
    logger,
  });

  let role: ProjectorRole = 'stopped';
  let position: Position = START;
  let stopping: AbortController | null = null;
  let running: Promise<void> | null = null;
  // Publishing is chained so rooms get batches in commit order without holding up the next batch.
  let publishing: Promise<void> = Promise.resolve();

  const publish = (messages: RoomMessage[]) => {
    if (messages.length === 0) return;
    publishing = publishing.then(() =>
      publisher.publish(messages).catch((error: unknown) => {
        logger.warn({ err: error, count: messages.length }, 'publishing realtime messages failed');
      }),
    );
  };

  /** Reads and applies until `term` aborts (stop, or the lock's session died); restarts after failures. */
  const runActive = async (term: AbortSignal) => {
    while (!term.aborted) {
      let subscription: ReturnType<typeof store.subscribeToAll> | null = null;
      const stopSubscription = () => void subscription?.stop();
      term.addEventListener('abort', stopSubscription);
      try {
        await ensureCheckpoints(knex, names);
        // Positions of another store's log would be read as positions in this one: stop instead (see below).
        await claimCheckpoints(knex, names, store.kind);
        const from = await minCheckpoint(knex, names);
        subscription = store.subscribeToAll({ fromPosition: from, maxBatchSize: batchSize });
        for await (const message of subscription) {
          if (term.aborted) break;
          if (message.kind !== 'events' || message.events.length === 0) continue;
          const events = message.events;
          const result = await applyBatch({
            knex,
            projections,
            events,
            channel,
            beforeCommit: async (trx) => {
              // Leadership may have gone while the batch ran; the checkpoint locks keep a late commit exact,
              // but an instance that lost the lock should stop writing at once.
              if (term.aborted) throw new LeadershipLost('lock lost before commit');
              await hooks?.beforeCommit?.(events, trx);
            },
          });
          position = result.position;
          publish(result.messages);
          await hooks?.afterCommit?.(result.position);
        }
      } catch (error) {
        if (term.aborted) break;
        // Retrying cannot help: an operator has to rebuild the read models or point back at the other store.
        if (error instanceof CheckpointStoreMismatchError) throw error;
        // The subscription has moved past the failed batch: read again from the committed checkpoints.
        logger.error({ err: error }, 'projector batch failed, restarting from the checkpoints');
        await sleep(retryDelayMs, term);
      } finally {
        term.removeEventListener('abort', stopSubscription);
        await subscription?.stop();
      }
    }
  };

  const run = async (stop: AbortSignal) => {
    while (!stop.aborted) {
      role = 'standby';
      const lease = await lock.acquire(stop);
      if (!lease) break;
      role = 'active';
      logger.info({ projections: names }, 'projector active');
      try {
        await runActive(AbortSignal.any([stop, lease.lost]));
      } finally {
        role = 'standby';
        await lease.release();
      }
      if (!stop.aborted) {
        logger.warn({}, 'projector lost its lock, back to standby');
        // Whatever cut this instance off may strike again: let a healthy standby take over first.
        await sleep(standbyRetryMs * 4, stop);
      }
    }
    await publishing;
    role = 'stopped';
  };

  return {
    start() {
      if (running) return;
      stopping = new AbortController();
      role = 'standby';
      running = run(stopping.signal).catch((error: unknown) => {
        if (error instanceof CheckpointStoreMismatchError)
          logger.error({ err: error, store: error.store }, `projector stopped: ${error.message}`);
        else logger.error({ err: error }, 'projector stopped by an unexpected error');
        role = 'stopped';
      });
    },
    async stop() {
      stopping?.abort();
      await running;
      running = null;
      stopping = null;
    },
    get role() {
      return role;
    },
    get position() {
      return position;
    },
    status: () => readProjectionStatus({ store, knex, names }),
  };
};

import type { Knex } from 'knex';
import { type Position, START, isPosition } from '../../eventstore/port';
import { readCheckpoints } from './checkpoints';
import { type RunnerLogger, silentLogger } from './logger';
import { type NotificationListener, listenForNotifications } from './notification-listener';
import { type PgConnection, connectionOf } from './pg-connection';
import { PROJECTIONS_CHANNEL } from './projector-options';

export interface PositionWaiterOptions {
  knex: Knex;
  /** The projector's NOTIFY channel. */
  channel?: string;
  /**
   * The projections a reader depends on; a missing row counts as not there yet. When omitted, every row of the
   * checkpoints table counts, and an empty table counts as caught up.
   */
  projections?: readonly string[];
  /** Fallback poll while someone waits, for notifications lost to a reconnect. */
  pollIntervalMs?: number;
  /** For the LISTEN session; defaults to knex's connection settings. */
  connection?: PgConnection;
  logger?: RunnerLogger;
}

export interface PositionWaiter {
  /** True as soon as every projection's checkpoint is at or past `position`; false after `timeoutMs`. */
  waitFor(position: Position, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

interface Pending {
  position: Position;
  resolve(reached: boolean): void;
}

/**
 * Read-your-writes for the API: one shared LISTEN connection and at most one checkpoint query in flight per
 * process, however many requests wait. A notification only triggers a query when it can release someone
 * (its payload is the lowest checkpoint the projector just committed).
 */
export const createPositionWaiter = (options: PositionWaiterOptions): PositionWaiter => {
  const { knex, projections } = options;
  const logger = options.logger ?? silentLogger;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const pending = new Set<Pending>();
  // The lowest checkpoint last read; checkpoints only move forward, so anything at or below it has been reached.
  let reached: Position | null = null;
  let checking = false;
  let checkAgain = false;
  let poll: NodeJS.Timeout | null = null;
  let closed = false;

  /** The lowest checkpoint, or null when there is nothing to wait for. */
  const lowestCheckpoint = async (): Promise<Position | null> => {
    const rows = await readCheckpoints(knex, projections);
    if (projections && rows.length < new Set(projections).size) return START;
    let lowest: Position | null = null;
    for (const row of rows) if (lowest === null || row.position < lowest) lowest = row.position;
    return lowest;
  };

  const release = (upTo: Position | null) => {
    for (const waiter of pending) if (upTo === null || waiter.position <= upTo) waiter.resolve(true);
  };

  const check = () => {
    if (closed) return;
    if (checking) {
      checkAgain = true;
      return;
    }
    checking = true;
    lowestCheckpoint()
      .then((lowest) => {
        // "Nothing to wait for" is not cached: a projector starting later adds rows.
        if (lowest !== null) reached = lowest;
        release(lowest);
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'position waiter: cannot read checkpoints'))
      .finally(() => {
        checking = false;
        if (checkAgain) {
          checkAgain = false;
          check();
        }
      });
  };

  const updatePoll = () => {
    if (pending.size > 0 && !poll && !closed) {
      poll = setInterval(check, pollIntervalMs);
      poll.unref();
    } else if (pending.size === 0 && poll) {
      clearInterval(poll);
      poll = null;
    }
  };

  let listener: NotificationListener | null = null;
  const startListening = () => {
    listener ??= listenForNotifications({
      connection: options.connection ?? connectionOf(knex),
      channel: options.channel ?? PROJECTIONS_CHANNEL,
      logger,
      onListening: () => {
        if (pending.size > 0) check();
      },
      onNotification: (payload) => {
        if (!isPosition(payload)) return check();
        for (const waiter of pending) if (waiter.position <= payload) return check();
      },
    });
  };

  return {
    waitFor(position, timeoutMs) {
      if (closed) return Promise.resolve(false);
      if (reached !== null && position <= reached) return Promise.resolve(true);
      startListening();
      return new Promise<boolean>((resolve) => {
        const waiter: Pending = {
          position,
          resolve: (result) => {
            clearTimeout(timer);
            pending.delete(waiter);
            updatePoll();
            resolve(result);
          },
        };
        const timer = setTimeout(() => waiter.resolve(false), timeoutMs);
        pending.add(waiter);
        updatePoll();
        check();
      });
    },
    async close() {
      closed = true;
      for (const waiter of pending) waiter.resolve(false);
      if (poll) clearInterval(poll);
      await listener?.close();
    },
  };
};

import type { Knex } from 'knex';
import { type Position, START } from '../../eventstore/port';
import { projectionSetTag, readCheckpoints, readCommitNotice } from './checkpoints';
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

/** The requests waiting for a position, each until it is released or its time runs out. */
interface Waits {
  /** True once released, false after `timeoutMs` or when cancelled. */
  wait(position: Position, timeoutMs: number): Promise<boolean>;
  /** Releases every wait at or below `upTo`; all of them when it is null (nothing to wait for). */
  release(upTo: Position | null): void;
  /** Whether a checkpoint at `position` would release anyone. */
  wouldRelease(position: Position): boolean;
  cancelAll(): void;
  readonly count: number;
}

const createWaits = (onCountChange: () => void): Waits => {
  const pending = new Set<Pending>();
  return {
    wait: (position, timeoutMs) =>
      new Promise<boolean>((resolve) => {
        const waiter: Pending = {
          position,
          resolve: (result) => {
            clearTimeout(timer);
            pending.delete(waiter);
            onCountChange();
            resolve(result);
          },
        };
        const timer = setTimeout(() => waiter.resolve(false), timeoutMs);
        pending.add(waiter);
        onCountChange();
      }),
    release(upTo) {
      for (const waiter of pending) if (upTo === null || waiter.position <= upTo) waiter.resolve(true);
    },
    wouldRelease(position) {
      for (const waiter of pending) if (waiter.position <= position) return true;
      return false;
    },
    cancelAll() {
      for (const waiter of pending) waiter.resolve(false);
    },
    get count() {
      return pending.size;
    },
  };
};

/** The lowest checkpoint, or null when there is nothing to wait for. */
const lowestCheckpoint = async (knex: Knex, projections?: readonly string[]): Promise<Position | null> => {
  const rows = await readCheckpoints(knex, projections);
  if (projections && rows.length < new Set(projections).size) return START;
  let lowest: Position | null = null;
  for (const row of rows) if (lowest === null || row.position < lowest) lowest = row.position;
  return lowest;
};

/** Runs `task` at most once at a time; asked while it runs, it runs once more afterwards. */
const oneAtATime = (task: () => Promise<void>): (() => void) => {
  let running = false;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    void task().finally(() => {
      running = false;
      if (again) {
        again = false;
        run();
      }
    });
  };
  return run;
};

/** Calls `check` every `intervalMs` while it is on: the fallback for notifications lost to a reconnect. */
const fallbackPoll = (intervalMs: number, check: () => void) => {
  let timer: NodeJS.Timeout | null = null;
  return (on: boolean) => {
    if (on && !timer) {
      timer = setInterval(check, intervalMs);
      timer.unref();
    } else if (!on && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
};

/**
 * The LISTEN connection. A commit notice of a runner of the waiter's own projections is as good as reading their
 * checkpoints: it releases at once. Any other notification triggers a check, when its position can release someone.
 */
const listenForCheckpoints = (
  options: PositionWaiterOptions,
  logger: RunnerLogger,
  waits: Waits,
  check: () => void,
  heard: (position: Position) => void,
  committed: (position: Position) => void,
): NotificationListener => {
  const tag = options.projections ? projectionSetTag(options.projections) : null;
  return listenForNotifications({
    connection: options.connection ?? connectionOf(options.knex),
    channel: options.channel ?? PROJECTIONS_CHANNEL,
    logger,
    onListening: () => {
      if (waits.count > 0) check();
    },
    onNotification: (payload) => {
      const notice = readCommitNotice(payload);
      if (notice === null) return check();
      heard(notice.position);
      if (tag !== null && notice.tag === tag) committed(notice.position);
      else if (waits.wouldRelease(notice.position)) check();
    },
  });
};

/**
 * Read-your-writes for the API: one shared LISTEN connection and at most one checkpoint query in flight per
 * process, however many requests wait. The projector's commit notice (the lowest checkpoint it just committed,
 * with the tag of its projections) releases the waits at or below it without a query when its projections are
 * the waiter's own; another notification triggers a query only when it can release someone.
 */
export const createPositionWaiter = (options: PositionWaiterOptions): PositionWaiter => {
  const logger = options.logger ?? silentLogger;
  // The lowest checkpoint last read; checkpoints only move forward, so anything at or below it has been reached.
  let reached: Position | null = null;
  let closed = false;
  let listener: NotificationListener | null = null;
  // The highest checkpoint a notification announced: a wait beyond it cannot be released by reading now.
  let announced: Position | null = null;
  const check = oneAtATime(async () => {
    if (closed) return;
    try {
      const lowest = await lowestCheckpoint(options.knex, options.projections);
      // "Nothing to wait for" is not cached: a projector starting later adds rows.
      if (lowest !== null) reached = lowest;
      waits.release(lowest);
    } catch (error) {
      logger.warn({ err: error }, 'position waiter: cannot read checkpoints');
    }
  });
  const poll = fallbackPoll(options.pollIntervalMs ?? 500, check);
  const waits = createWaits(() => poll(waits.count > 0 && !closed));
  return {
    waitFor(position, timeoutMs) {
      if (closed) return Promise.resolve(false);
      if (reached !== null && position <= reached) return Promise.resolve(true);
      const listening = listener !== null;
      listener ??= listenForCheckpoints(
        options,
        logger,
        waits,
        check,
        (position) => {
          if (announced === null || position > announced) announced = position;
        },
        (position) => {
          if (reached === null || position > reached) reached = position;
          waits.release(position);
        },
      );
      const result = waits.wait(position, timeoutMs);
      // A command's own position is usually past every checkpoint announced so far: then only a later commit
      // (whose notification triggers the read) can release it, and reading now would find nothing. Read at once
      // when the projector announced the position already, or when nothing was heard yet (just listening).
      if (!listening || announced === null || position <= announced) check();
      return result;
    },
    async close() {
      closed = true;
      waits.cancelAll();
      poll(false);
      await listener?.close();
    },
  };
};

import type { Knex } from 'knex';
import type { EventStore, Position, RecordedEvent } from '../../eventstore/port';
import type { Projection, Publisher } from '../projection';
import type { RunnerLogger } from './logger';
import type { PgConnection } from './pg-connection';

/** The channel the projector NOTIFYs with the position it committed; read-your-writes waiters LISTEN on it. */
export const PROJECTIONS_CHANNEL = 'tt_projections';

/** The advisory lock that elects the one active projector of a database. */
export const PROJECTOR_LOCK = 'tt_projector';

/** Test seams: run inside the batch transaction just before COMMIT, or right after it. Throwing = a crash there. */
export interface ProjectorHooks {
  beforeCommit?(events: readonly RecordedEvent[], trx: Knex.Transaction): Promise<void> | void;
  afterCommit?(position: Position): Promise<void> | void;
}

export interface ProjectorOptions {
  store: EventStore;
  knex: Knex;
  /** Applied in this order within each batch: a read model may read the ones before it. */
  projections: readonly Projection[];
  publisher: Publisher;
  /** Most events per batch transaction. */
  batchSize?: number;
  logger?: RunnerLogger;
  /** The NOTIFY channel of its commits (default `tt_projections`): another instance's waiters listen on their own. */
  channel?: string;
  /**
   * The advisory lock that elects the active instance (default `tt_projector`). Another set of projections (the
   * jobs' reactions) runs as a second instance under its own lock name, with its own checkpoint rows.
   */
  lockName?: string;
  /** What the instance calls itself in its log lines (default `projector`). */
  label?: string;
  /** For the advisory lock's session; defaults to knex's connection settings. */
  connection?: PgConnection;
  /** How often a standby tries to take over. */
  standbyRetryMs?: number;
  /** Pause after a failed batch before reading again from the checkpoints. */
  retryDelayMs?: number;
  /**
   * After a batch smaller than `batchSize` (the log's head reached), wait this long before reading again, so that
   * what is appended meanwhile goes in one batch (default 0: read again at once). For work nobody waits on in
   * milliseconds (the reactions): fewer, larger batches, out of the projector's way.
   */
  lingerMs?: number;
  hooks?: ProjectorHooks;
}

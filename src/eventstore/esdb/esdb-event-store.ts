/**
 * The EventStoreDB adapter of the event store port, on `@eventstore/db-client` 6.2.1.
 *
 * Decisions (see README.md in this folder for the reasons):
 * - the whole log is the application's streams only (`streamPrefixes`, by default the categories Team Tracker
 *   writes): `readAll`, `headPosition` and subscriptions never show another application's events;
 * - positions are `encodePosition(commit, prepare)`; `START` is the client's `start`; `Position.End` from a
 *   server that did not know an event's position is never passed on;
 * - events are encoded as JSON here, before the client sees them (the client would hang on a value it cannot
 *   encode);
 * - `readAll` filters in process: the 6.2.1 client's `readAll` has no filter option (it always sends
 *   "no filter"), so it pages through `$all` and drops what is out of scope or filtered out itself;
 *   subscriptions filter on the server;
 * - an empty append checks the expectation with a read (as the PostgreSQL adapter does) instead of sending an
 *   empty batch.
 */
import { EventStoreDBClient } from '@eventstore/db-client';
import type { AllSubscription, EventStore, SubscribeOptions } from '../port';
import { noUpcast, type Upcast } from '../upcasting';
import {
  APP_STREAM_PREFIXES,
  type SubscriptionDropReason,
  UnknownPositionError,
  isDeliverable,
  toEsdbFilter,
  toEsdbReadPosition,
} from './esdb-mapping';
import { appendToStream } from './esdb-append';
import { type EsdbClient, type EsdbLog, headPosition, readAll, recordBefore } from './esdb-log';
import { checkUnchanged, lastRecordOf, readStream, streamRevision } from './esdb-streams';
import { createEsdbSubscription } from './esdb-subscription';

export type { EsdbClient };

export interface EsdbEventStoreOptions {
  /** Applied to every event read: streams, the whole log and subscriptions. */
  upcast?: Upcast;
  /**
   * The application's streams: whole-log reads, the head and subscriptions see streams starting with one of these
   * only. Defaults to the categories Team Tracker writes (`APP_STREAM_PREFIXES`).
   */
  streamPrefixes?: readonly string[];
  /** Told each time a `$all` subscription is dropped by the server or the connection and opened again. */
  onSubscriptionDropped?: (reason: SubscriptionDropReason) => void;
  /** `close()` also disposes the client (set by `connectEsdb`, which owns the client it creates). */
  disposeClientOnClose?: boolean;
  /** Records of `$all` searched (backwards from its end) for the position of an event the server did not place. */
  positionSearchLimit?: number;
  /** Subscription tuning, for tests. */
  subscription?: {
    maxQueued?: number;
    maxConsecutiveDrops?: number;
    retryDelayMs?: (dropsInARow: number) => number;
  };
}

const DEFAULT_POSITION_SEARCH_LIMIT = 4096;
/** A stream that never exists, read by `ping()`: a read of one of the application's own categories. */
const PING_STREAM_ID = '00000000-0000-0000-0000-000000000000';

/** The application's streams, refused when they would take in every stream or `$`-streams. */
const checkedScope = (streamPrefixes: readonly string[]): string[] => {
  const scope = [...streamPrefixes];
  if (scope.length === 0 || scope.some((prefix) => prefix.length === 0 || prefix.startsWith('$')))
    throw new RangeError(
      `streamPrefixes must name the application's streams (non-empty, not $-streams), got ${JSON.stringify(scope)}`,
    );
  return scope;
};

/** A `$all` subscription on the client, filtered on the server to the scope (see esdb-subscription.ts). */
const subscribeToAll = (
  log: EsdbLog,
  subscribeOptions: SubscribeOptions,
  options: EsdbEventStoreOptions,
  onStopped: () => void,
): AllSubscription => {
  const { filter, fromPosition, maxBatchSize } = subscribeOptions;
  return createEsdbSubscription({
    subscribe: (from, checkpointReached) =>
      log.client.subscribeToAll({
        fromPosition: toEsdbReadPosition(from),
        filter: toEsdbFilter(filter, (_subscription, position) => checkpointReached(position), log.scope),
      }),
    recordBefore: (position) => recordBefore(log, position),
    readHead: () => headPosition(log),
    accept: (event) => isDeliverable(event, filter, log.scope),
    upcast: log.upcast,
    onStopped,
    ...(options.onSubscriptionDropped ? { onDropped: options.onSubscriptionDropped } : {}),
    ...options.subscription,
    ...(fromPosition === undefined ? {} : { fromPosition }),
    ...(maxBatchSize === undefined ? {} : { maxBatchSize }),
  });
};

export const createEsdbEventStore = (client: EsdbClient, options: EsdbEventStoreOptions = {}): EventStore => {
  const log: EsdbLog = {
    client,
    scope: checkedScope(options.streamPrefixes ?? APP_STREAM_PREFIXES),
    upcast: options.upcast ?? noUpcast,
    positionSearchLimit: options.positionSearchLimit ?? DEFAULT_POSITION_SEARCH_LIMIT,
  };
  const subscriptions = new Set<AllSubscription>();
  return {
    kind: 'eventstoredb',
    async appendToStream(streamId, events, appendOptions = {}) {
      await checkUnchanged(log, appendOptions.unchanged ?? []);
      return appendToStream(log, streamId, events, appendOptions.expectedRevision ?? 'any');
    },
    readStream: (streamId, readOptions) => readStream(log, streamId, readOptions),
    streamRevision: (streamId) => streamRevision(log, streamId),
    readAll: (readOptions) => readAll(log, readOptions),
    headPosition: () => headPosition(log),
    subscribeToAll(subscribeOptions = {}) {
      const subscription = subscribeToAll(log, subscribeOptions, options, () =>
        subscriptions.delete(subscription),
      );
      subscriptions.add(subscription);
      return subscription;
    },
    async ping() {
      // A read of a stream of the application's own that never exists: it needs the rights every process needs
      // anyway, where reading $all (the head) needs more.
      await lastRecordOf(log, `${log.scope[0]}${PING_STREAM_ID}`);
    },
    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      if (options.disposeClientOnClose) await client.dispose();
    },
  };
};

/**
 * The 6.2.1 client only parses `esdb://` and `esdb+discover://`; KurrentDB's `kurrentdb://` and
 * `kurrentdb+discover://` (which the configuration accepts) mean the same.
 */
export const toEsdbConnectionString = (connectionString: string): string =>
  connectionString.replace(/^kurrentdb(\+discover)?:\/\//i, (_match, discover: string | undefined) =>
    discover ? 'esdb+discover://' : 'esdb://',
  );

/**
 * A store on a new client for `esdb://…` / `esdb+discover://…` (or `kurrentdb://…`); closing the store disposes
 * the client. The client connects lazily: an unreachable server shows up as `EventStoreUnavailableError` on first
 * use.
 */
export const connectEsdb = (
  connectionString: string,
  options: Omit<EsdbEventStoreOptions, 'disposeClientOnClose'> = {},
): EventStore =>
  createEsdbEventStore(EventStoreDBClient.connectionString(toEsdbConnectionString(connectionString)), {
    ...options,
    disposeClientOnClose: true,
  });

export { UnknownPositionError };

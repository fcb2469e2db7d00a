/**
 * The EventStoreDB adapter of the event store port, on `@eventstore/db-client` 6.2.1.
 *
 * Decisions (see README.md in this folder for the reasons):
 * - positions are `encodePosition(commit, prepare)`; `START` is the client's `start`;
 * - `readAll` filters in process: the 6.2.1 client's `readAll` has no filter option (it always sends
 *   "no filter"), so it pages through `$all` and drops system events and non-matching ones itself;
 *   subscriptions filter on the server;
 * - an empty append checks the expectation with a read (as the PostgreSQL adapter does) instead of sending an
 *   empty batch.
 */
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START as ESDB_START,
  type ReadPosition,
} from '@eventstore/db-client';
import {
  type AllSubscription,
  type AppendResult,
  type EventData,
  type EventStore,
  type ExpectedRevision,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  START,
  type SubscribeOptions,
  WrongExpectedRevisionError,
} from '../port';
import type { Upcast } from '../upcasting';
import {
  type EsdbResolvedLike,
  actualRevisionFromEsdb,
  assertReadRevision,
  esdbPositionOf,
  isDeliverable,
  isStreamDeleted,
  isStreamNotFound,
  isSystemEvent,
  mapEsdbError,
  positionFromEsdb,
  toEsdbEventData,
  toEsdbExpectedRevision,
  toEsdbFilter,
  toEsdbReadPosition,
  toRecordedEvent,
} from './esdb-mapping';
import { createEsdbSubscription } from './esdb-subscription';

/** The client methods the adapter uses; a real `EventStoreDBClient` fits, and so does a test stub. */
export type EsdbClient = Pick<
  EventStoreDBClient,
  'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'dispose'
>;

export interface EsdbEventStoreOptions {
  /** Applied to every event read: streams, the whole log and subscriptions. */
  upcast?: Upcast;
  /** `close()` also disposes the client (set by `connectEsdb`, which owns the client it creates). */
  disposeClientOnClose?: boolean;
}

/** Default `readAll` count, as in the PostgreSQL adapter. */
export const DEFAULT_READ_ALL_COUNT = 1000;
/** Raw events per `$all` page (system events and filtered-out ones included). */
const PAGE_SIZE = 1000;
const HEAD_PAGE_SIZE = 64;

export const createEsdbEventStore = (client: EsdbClient, options: EsdbEventStoreOptions = {}): EventStore => {
  const upcast: Upcast = options.upcast ?? ((event) => event);
  const subscriptions = new Set<AllSubscription>();

  /** Every resolved event of one client read, with the client's errors in the port's terms. */
  const drain = async (read: AsyncIterable<EsdbResolvedLike>): Promise<EsdbResolvedLike[]> => {
    const out: EsdbResolvedLike[] = [];
    try {
      for await (const resolved of read) out.push(resolved);
    } catch (error) {
      throw mapEsdbError(error);
    }
    return out;
  };

  const readStreamRaw = async (
    streamId: string,
    read: {
      direction: typeof FORWARDS | typeof BACKWARDS;
      fromRevision: bigint | typeof ESDB_START | typeof END;
      maxCount?: number;
    },
  ): Promise<RecordedEvent[]> => {
    let resolved: EsdbResolvedLike[];
    try {
      resolved = await drain(
        client.readStream(streamId, {
          direction: read.direction,
          fromRevision: read.fromRevision,
          ...(read.maxCount === undefined ? {} : { maxCount: read.maxCount }),
        }),
      );
    } catch (error) {
      // A soft-deleted stream reads as not found; a tombstoned one is as absent to the port.
      if (isStreamNotFound(error) || isStreamDeleted(error)) return [];
      throw error;
    }
    const events: RecordedEvent[] = [];
    for (const r of resolved) {
      const event = toRecordedEvent(r);
      if (event) events.push(event);
    }
    return events;
  };

  const streamRevision = async (streamId: string): Promise<number | null> => {
    const [last] = await readStreamRaw(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
    return last ? last.revision : null;
  };

  const checkEmptyAppend = async (streamId: string, expected: ExpectedRevision): Promise<AppendResult> => {
    const [last] = await readStreamRaw(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
    const actual = last ? last.revision : null;
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && actual === null) ||
      (expected === 'stream_exists' && actual !== null) ||
      expected === actual;
    if (!ok) throw new WrongExpectedRevisionError(streamId, expected, actual);
    return { nextRevision: actual ?? -1, position: last?.position ?? START };
  };

  const headPosition = async (): Promise<Position> => {
    let cursor: ReadPosition = END;
    let cursorPosition: Position | undefined;
    for (;;) {
      const page = await drain(
        client.readAll({ direction: BACKWARDS, fromPosition: cursor, maxCount: HEAD_PAGE_SIZE }),
      );
      for (const resolved of page) {
        const raw = esdbPositionOf(resolved);
        if (!raw) continue;
        const position = positionFromEsdb(raw);
        // Guards against a server that repeats the boundary event of the previous page.
        if (cursorPosition !== undefined && position >= cursorPosition) continue;
        cursor = raw;
        cursorPosition = position;
        if (resolved.event && !isSystemEvent(resolved.event)) return position;
      }
      if (page.length < HEAD_PAGE_SIZE) return START;
    }
  };

  const store: EventStore = {
    async appendToStream(streamId, events, appendOptions = {}) {
      const expected = appendOptions.expectedRevision ?? 'any';
      const expectedRevision = toEsdbExpectedRevision(expected);
      if (events.length === 0) return checkEmptyAppend(streamId, expected);
      const proposed = events.map((event: EventData) => toEsdbEventData(event));
      let result: Awaited<ReturnType<EsdbClient['appendToStream']>>;
      try {
        result = await client.appendToStream(streamId, proposed, { expectedRevision });
      } catch (error) {
        throw mapEsdbError(error, { streamId, expected });
      }
      // Only when the client was built with `throwOnAppendFailure: false`.
      if (!result.success) {
        throw new WrongExpectedRevisionError(
          streamId,
          expected,
          actualRevisionFromEsdb(result.nextExpectedRevision),
        );
      }
      const position = result.position
        ? positionFromEsdb(result.position)
        : ((await readStreamRaw(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }))[0]
            ?.position ?? START);
      return { nextRevision: Number(result.nextExpectedRevision), position };
    },

    async readStream(streamId, readOptions: ReadStreamOptions = {}) {
      const backwards = readOptions.direction === 'backwards';
      if (readOptions.maxCount !== undefined && readOptions.maxCount <= 0) return [];
      const fromRevision =
        readOptions.fromRevision === undefined
          ? backwards
            ? END
            : ESDB_START
          : assertReadRevision(readOptions.fromRevision);
      const events = await readStreamRaw(streamId, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision,
        ...(readOptions.maxCount === undefined ? {} : { maxCount: readOptions.maxCount }),
      });
      return events.map(upcast);
    },

    streamRevision,

    async readAll(readOptions: ReadAllOptions = {}) {
      const maxCount = readOptions.maxCount ?? DEFAULT_READ_ALL_COUNT;
      const out: RecordedEvent[] = [];
      let cursor = readOptions.fromPosition ?? START;
      while (out.length < maxCount) {
        // Reading $all forwards from a position includes the event at it: ask for one more.
        const count = readOptions.filter ? PAGE_SIZE : Math.min(PAGE_SIZE, maxCount - out.length + 1);
        const page = await drain(
          client.readAll({ direction: FORWARDS, fromPosition: toEsdbReadPosition(cursor), maxCount: count }),
        );
        let advanced = false;
        for (const resolved of page) {
          const raw = esdbPositionOf(resolved);
          if (!raw) continue;
          const position = positionFromEsdb(raw);
          if (cursor !== START && position <= cursor) continue;
          cursor = position;
          advanced = true;
          if (!resolved.event || !isDeliverable(resolved.event, readOptions.filter)) continue;
          const event = toRecordedEvent(resolved);
          if (event) out.push(upcast(event));
          if (out.length >= maxCount) break;
        }
        if (page.length < count || !advanced) break;
      }
      return out;
    },

    headPosition,

    subscribeToAll(subscribeOptions: SubscribeOptions = {}) {
      const subscription = createEsdbSubscription({
        subscribe: (checkpointReached) =>
          client.subscribeToAll({
            fromPosition: toEsdbReadPosition(subscribeOptions.fromPosition ?? START),
            filter: toEsdbFilter(subscribeOptions.filter, (_subscription, position) =>
              checkpointReached(position),
            ),
          }),
        readHead: headPosition,
        upcast,
        onStopped: () => subscriptions.delete(subscription),
        ...(subscribeOptions.fromPosition === undefined
          ? {}
          : { fromPosition: subscribeOptions.fromPosition }),
        ...(subscribeOptions.filter === undefined ? {} : { filter: subscribeOptions.filter }),
        ...(subscribeOptions.maxBatchSize === undefined
          ? {}
          : { maxBatchSize: subscribeOptions.maxBatchSize }),
      });
      subscriptions.add(subscription);
      return subscription;
    },

    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      if (options.disposeClientOnClose) await client.dispose();
    },
  };
  return store;
};

/**
 * A store on a new client for `esdb://…` / `esdb+discover://…`; closing the store disposes the client.
 * The client connects lazily: an unreachable server shows up as `EventStoreUnavailableError` on first use.
 */
export const connectEsdb = (
  connectionString: string,
  options: Pick<EsdbEventStoreOptions, 'upcast'> = {},
): EventStore =>
  createEsdbEventStore(EventStoreDBClient.connectionString(connectionString), {
    ...options,
    disposeClientOnClose: true,
  });

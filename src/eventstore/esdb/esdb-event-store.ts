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
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START as ESDB_START,
  type Position as EsdbPosition,
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
  StreamDeletedError,
  type SubscribeOptions,
  WrongExpectedRevisionError,
} from '../port';
import type { Upcast } from '../upcasting';
import {
  APP_STREAM_PREFIXES,
  type EsdbResolvedLike,
  type SubscriptionDropReason,
  UnknownPositionError,
  actualRevisionFromEsdb,
  assertReadRevision,
  esdbPositionOf,
  inScope,
  isDeliverable,
  isStreamNotFound,
  isSystemEvent,
  isUnknownEsdbPosition,
  mapEsdbError,
  positionFromEsdb,
  positionToEsdb,
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

/** Default `readAll` count, as in the PostgreSQL adapter. */
export const DEFAULT_READ_ALL_COUNT = 1000;
/** Raw events per `$all` page (system events and filtered-out ones included). */
const PAGE_SIZE = 1000;
const MIN_PAGE_SIZE = 64;
const BACKWARDS_PAGE_SIZE = 256;
const DEFAULT_POSITION_SEARCH_LIMIT = 4096;
/** A stream that never exists, read by `ping()`: a read of one of the application's own categories. */
const PING_STREAM_ID = '00000000-0000-0000-0000-000000000000';

export const createEsdbEventStore = (client: EsdbClient, options: EsdbEventStoreOptions = {}): EventStore => {
  const upcast: Upcast = options.upcast ?? ((event) => event);
  const scope = [...(options.streamPrefixes ?? APP_STREAM_PREFIXES)];
  if (scope.length === 0 || scope.some((prefix) => prefix.length === 0 || prefix.startsWith('$')))
    throw new RangeError(
      `streamPrefixes must name the application's streams (non-empty, not $-streams), got ${JSON.stringify(scope)}`,
    );
  const searchLimit = options.positionSearchLimit ?? DEFAULT_POSITION_SEARCH_LIMIT;
  const subscriptions = new Set<AllSubscription>();
  /** A record the application wrote: in scope and not EventStoreDB's own. */
  const ours = (event: { streamId: string; type: string }) =>
    !isSystemEvent(event) && inScope(event.streamId, scope);

  /** Every resolved event of one client read, with the client's errors in the port's terms. */
  const drain = async (
    read: AsyncIterable<EsdbResolvedLike>,
    context: Parameters<typeof mapEsdbError>[1],
  ): Promise<EsdbResolvedLike[]> => {
    const out: EsdbResolvedLike[] = [];
    try {
      for await (const resolved of read) out.push(resolved);
    } catch (error) {
      throw mapEsdbError(error, context);
    }
    return out;
  };

  /** Pages backwards through `$all` from `from` (exclusive; END for the end) until `visit` returns true. */
  const scanBackwards = async (
    from: typeof END | EsdbPosition,
    visit: (resolved: EsdbResolvedLike, position: Position) => boolean,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<void> => {
    let cursor: ReadPosition = from;
    let cursorPosition: Position | undefined = from === END ? undefined : positionFromEsdb(from);
    let seen = 0;
    while (seen < limit) {
      // One more than needed: a server may repeat the boundary record.
      const count = Math.min(BACKWARDS_PAGE_SIZE, limit - seen + 1);
      const page = await drain(
        client.readAll({ direction: BACKWARDS, fromPosition: cursor, maxCount: count }),
        {
          operation: 'reading $all',
        },
      );
      let advanced = false;
      for (const resolved of page) {
        const raw = esdbPositionOf(resolved);
        if (!raw) continue;
        const position = positionFromEsdb(raw);
        // Guards against a server that repeats the boundary event of the previous page.
        if (cursorPosition !== undefined && position >= cursorPosition) continue;
        cursor = raw;
        cursorPosition = position;
        advanced = true;
        seen += 1;
        if (visit(resolved, position) || seen >= limit) return;
      }
      if (page.length < count || !advanced) return;
    }
  };

  /** The positions in `$all` of the given events (by stream and id), searched from the end of the log. */
  const findPositions = async (
    wanted: ReadonlyArray<{ streamId: string; id: string }>,
  ): Promise<Map<string, Position>> => {
    const key = (streamId: string, id: string) => `${streamId}\u0000${id}`;
    const missing = new Set(wanted.map((w) => key(w.streamId, w.id)));
    const found = new Map<string, Position>();
    if (missing.size === 0) return found;
    await scanBackwards(
      END,
      (resolved, position) => {
        const event = resolved.event;
        const k = event ? key(event.streamId, event.id) : undefined;
        if (k && missing.delete(k)) found.set(k, position);
        return missing.size === 0;
      },
      searchLimit,
    );
    return found;
  };

  /** Events of one stream as the port's, with a position for each (from `$all` where the server gave none). */
  const toRecorded = async (resolved: EsdbResolvedLike[]): Promise<RecordedEvent[]> => {
    const unplaced = resolved.filter((r) => r.event && !esdbPositionOf(r)).map((r) => r.event!);
    const found = await findPositions(unplaced);
    const events: RecordedEvent[] = [];
    for (const r of resolved) {
      const known = r.event ? found.get(`${r.event.streamId}\u0000${r.event.id}`) : undefined;
      const event = toRecordedEvent(r, known);
      if (event) events.push(event);
    }
    return events;
  };

  const readStreamRaw = async (
    streamId: string,
    read: {
      direction: typeof FORWARDS | typeof BACKWARDS;
      fromRevision: bigint | typeof ESDB_START | typeof END;
      maxCount?: number;
    },
  ): Promise<EsdbResolvedLike[]> => {
    try {
      return await drain(
        client.readStream(streamId, {
          direction: read.direction,
          fromRevision: read.fromRevision,
          ...(read.maxCount === undefined ? {} : { maxCount: read.maxCount }),
        }),
        { streamId, operation: `reading stream ${streamId}` },
      );
    } catch (error) {
      // A soft-deleted stream reads as not found; a tombstoned one is as absent to the port.
      if (isStreamNotFound(error) || error instanceof StreamDeletedError) return [];
      throw error;
    }
  };

  const lastOf = (streamId: string) =>
    readStreamRaw(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });

  const streamRevision = async (streamId: string): Promise<number | null> => {
    const [last] = await lastOf(streamId);
    return last?.event ? Number(last.event.revision) : null;
  };

  const checkEmptyAppend = async (streamId: string, expected: ExpectedRevision): Promise<AppendResult> => {
    const [last] = await toRecorded(await lastOf(streamId));
    const actual = last ? last.revision : null;
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && actual === null) ||
      (expected === 'stream_exists' && actual !== null) ||
      expected === actual;
    if (!ok) throw new WrongExpectedRevisionError(streamId, expected, actual);
    return { nextRevision: actual ?? -1, position: last?.position ?? START };
  };

  /** The last event of the application in the log, scanning back past other applications' and system records. */
  const headPosition = async (): Promise<Position> => {
    let head: Position = START;
    await scanBackwards(END, (resolved, position) => {
      if (!resolved.event || !ours(resolved.event)) return false;
      head = position;
      return true;
    });
    return head;
  };

  /** Any record before `position` (for a subscription's start, see esdb-subscription.ts), or START. */
  const recordBefore = async (position: Position): Promise<Position> => {
    let before: Position = START;
    await scanBackwards(
      positionToEsdb(position),
      (_resolved, at) => {
        if (at >= position) return false;
        before = at;
        return true;
      },
      2,
    );
    return before;
  };

  const store: EventStore = {
    kind: 'eventstoredb',

    async appendToStream(streamId, events, appendOptions = {}) {
      const expected = appendOptions.expectedRevision ?? 'any';
      const expectedRevision = toEsdbExpectedRevision(expected);
      if (events.length === 0) return checkEmptyAppend(streamId, expected);
      // Encoded here: a value the client cannot encode would leave its promise pending for ever.
      const proposed = events.map((event: EventData, index) => toEsdbEventData(event, { streamId, index }));
      let result: Awaited<ReturnType<EsdbClient['appendToStream']>>;
      try {
        result = await client.appendToStream(streamId, proposed, { expectedRevision });
      } catch (error) {
        throw mapEsdbError(error, { streamId, expected, operation: `appending to stream ${streamId}` });
      }
      // Only when the client was built with `throwOnAppendFailure: false`.
      if (!result.success) {
        throw new WrongExpectedRevisionError(
          streamId,
          expected,
          actualRevisionFromEsdb(result.nextExpectedRevision),
        );
      }
      const nextRevision = Number(result.nextExpectedRevision);
      if (result.position && !isUnknownEsdbPosition(result.position))
        return { nextRevision, position: positionFromEsdb(result.position) };
      // No position (an idempotent repeat on some servers) or Position.End: find the last event in $all. Failing
      // that, the head of the application's log is at or after it, which is what read-your-writes waits for.
      const last = proposed[proposed.length - 1]!;
      const found = await findPositions([{ streamId, id: last.id }]);
      return { nextRevision, position: found.values().next().value ?? (await headPosition()) };
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
      const events = await toRecorded(
        await readStreamRaw(streamId, {
          direction: backwards ? BACKWARDS : FORWARDS,
          fromRevision,
          ...(readOptions.maxCount === undefined ? {} : { maxCount: readOptions.maxCount }),
        }),
      );
      return events.map(upcast);
    },

    streamRevision,

    async readAll(readOptions: ReadAllOptions = {}) {
      const maxCount = readOptions.maxCount ?? DEFAULT_READ_ALL_COUNT;
      const out: RecordedEvent[] = [];
      let cursor = readOptions.fromPosition ?? START;
      while (out.length < maxCount) {
        // Reading $all forwards from a position includes the event at it: ask for one more, and for a few more
        // than that, since system records and other applications' events are dropped here.
        const count = Math.min(PAGE_SIZE, Math.max(MIN_PAGE_SIZE, maxCount - out.length + 1));
        const page = await drain(
          client.readAll({ direction: FORWARDS, fromPosition: toEsdbReadPosition(cursor), maxCount: count }),
          { operation: 'reading $all' },
        );
        let advanced = false;
        for (const resolved of page) {
          const raw = esdbPositionOf(resolved);
          if (!raw) continue;
          const position = positionFromEsdb(raw);
          if (cursor !== START && position <= cursor) continue;
          cursor = position;
          advanced = true;
          if (!resolved.event || !isDeliverable(resolved.event, readOptions.filter, scope)) continue;
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
      const filter = subscribeOptions.filter;
      const subscription = createEsdbSubscription({
        subscribe: (from, checkpointReached) =>
          client.subscribeToAll({
            fromPosition: toEsdbReadPosition(from),
            filter: toEsdbFilter(filter, (_subscription, position) => checkpointReached(position), scope),
          }),
        recordBefore,
        readHead: headPosition,
        accept: (event) => isDeliverable(event, filter, scope),
        upcast,
        onStopped: () => subscriptions.delete(subscription),
        ...(options.onSubscriptionDropped ? { onDropped: options.onSubscriptionDropped } : {}),
        ...options.subscription,
        ...(subscribeOptions.fromPosition === undefined
          ? {}
          : { fromPosition: subscribeOptions.fromPosition }),
        ...(subscribeOptions.maxBatchSize === undefined
          ? {}
          : { maxBatchSize: subscribeOptions.maxBatchSize }),
      });
      subscriptions.add(subscription);
      return subscription;
    },

    async ping() {
      // A read of a stream of the application's own that never exists: it needs the rights every process needs
      // anyway, where reading $all (the head) needs more.
      await lastOf(`${scope[0]}${PING_STREAM_ID}`);
    },

    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      if (options.disposeClientOnClose) await client.dispose();
    },
  };
  return store;
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

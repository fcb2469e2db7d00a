/**
 * Single streams as the EventStoreDB adapter reads them: a missing, soft-deleted or tombstoned stream reads as
 * empty, and every event gets its `$all` position (looked up in `$all` where the server gave none).
 */
import { BACKWARDS, END, FORWARDS, START as ESDB_START } from '@eventstore/db-client';
import {
  type ReadStreamOptions,
  type RecordedEvent,
  StreamDeletedError,
  type StreamAt,
  WrongExpectedRevisionError,
} from '../port';
import {
  type EsdbResolvedLike,
  assertReadRevision,
  esdbPositionOf,
  isStreamNotFound,
  toRecordedEvent,
} from './esdb-mapping';
import { type EsdbLog, drain, eventKey, findPositions } from './esdb-log';

interface StreamRead {
  direction: typeof FORWARDS | typeof BACKWARDS;
  fromRevision: bigint | typeof ESDB_START | typeof END;
  maxCount?: number;
}

/** The client's records of one stream, or none when the stream is absent to the port. */
const readRecords = async (log: EsdbLog, streamId: string, read: StreamRead): Promise<EsdbResolvedLike[]> => {
  try {
    return await drain(
      log.client.readStream(streamId, {
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

/** The last record of a stream, if any. */
export const lastRecordOf = (log: EsdbLog, streamId: string): Promise<EsdbResolvedLike[]> =>
  readRecords(log, streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });

/** Events of one stream as the port's, with a position for each (from `$all` where the server gave none). */
export const placed = async (log: EsdbLog, resolved: EsdbResolvedLike[]): Promise<RecordedEvent[]> => {
  const unplaced = resolved.filter((r) => r.event && !esdbPositionOf(r)).map((r) => r.event!);
  const found = await findPositions(log, unplaced);
  const events: RecordedEvent[] = [];
  for (const r of resolved) {
    const event = toRecordedEvent(r, r.event ? found.get(eventKey(r.event)) : undefined);
    if (event) events.push(event);
  }
  return events;
};

export const readStream = async (
  log: EsdbLog,
  streamId: string,
  options: ReadStreamOptions = {},
): Promise<RecordedEvent[]> => {
  const backwards = options.direction === 'backwards';
  if (options.maxCount !== undefined && options.maxCount <= 0) return [];
  const fromRevision =
    options.fromRevision === undefined
      ? backwards
        ? END
        : ESDB_START
      : assertReadRevision(options.fromRevision);
  const events = await placed(
    log,
    await readRecords(log, streamId, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision,
      ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
    }),
  );
  return events.map(log.upcast);
};

export const streamRevision = async (log: EsdbLog, streamId: string): Promise<number | null> => {
  const [last] = await lastRecordOf(log, streamId);
  return last?.event ? Number(last.event.revision) : null;
};

/**
 * EventStoreDB has no condition on other streams than the one appended to: each stream a decision read is read
 * again just before the append, and one that moved refuses it, naming that stream.
 */
export const checkUnchanged = async (log: EsdbLog, unchanged: readonly StreamAt[]): Promise<void> => {
  const actual = await Promise.all(unchanged.map(({ streamId }) => streamRevision(log, streamId)));
  unchanged.forEach(({ streamId, revision }, i) => {
    if ((actual[i] ?? -1) !== revision)
      throw new WrongExpectedRevisionError(
        streamId,
        revision < 0 ? 'no_stream' : revision,
        actual[i] ?? null,
      );
  });
};

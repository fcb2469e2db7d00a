/**
 * Appends through the EventStoreDB client: events encoded as JSON before the client sees them, the client's
 * errors in the port's terms, and a position for every append (found in `$all` when the server gave none).
 */
import type { AppendExpectedRevision } from '@eventstore/db-client';
import {
  type AppendResult,
  type EventData,
  type ExpectedRevision,
  START,
  WrongExpectedRevisionError,
  meetsExpectation,
} from '../port';
import {
  actualRevisionFromEsdb,
  isUnknownEsdbPosition,
  mapEsdbError,
  positionFromEsdb,
  toEsdbEventData,
  toEsdbExpectedRevision,
} from './esdb-mapping';
import { type EsdbClient, type EsdbLog, findPositions, headPosition } from './esdb-log';
import { lastRecordOf, placed } from './esdb-streams';

type ClientAppendResult = Awaited<ReturnType<EsdbClient['appendToStream']>>;

/** An empty append checks the expectation with a read (as the PostgreSQL adapter does) and writes nothing. */
const checkEmptyAppend = async (
  log: EsdbLog,
  streamId: string,
  expected: ExpectedRevision,
): Promise<AppendResult> => {
  const [last] = await placed(log, await lastRecordOf(log, streamId));
  const actual = last ? last.revision : null;
  if (!meetsExpectation(expected, actual)) throw new WrongExpectedRevisionError(streamId, expected, actual);
  return { nextRevision: actual ?? -1, position: last?.position ?? START };
};

/** What an append expects: in the port's terms (for errors) and in the client's (sent). */
interface Expectation {
  expected: ExpectedRevision;
  sent: AppendExpectedRevision;
}

const sendAppend = async (
  log: EsdbLog,
  streamId: string,
  events: readonly EventData[],
  { expected, sent }: Expectation,
) => {
  // Encoded here: a value the client cannot encode would leave its promise pending for ever.
  const proposed = events.map((event, index) => toEsdbEventData(event, { streamId, index }));
  let result: ClientAppendResult;
  try {
    result = await log.client.appendToStream(streamId, proposed, { expectedRevision: sent });
  } catch (error) {
    throw mapEsdbError(error, { streamId, expected, operation: `appending to stream ${streamId}` });
  }
  // Only when the client was built with `throwOnAppendFailure: false`.
  if (!result.success)
    throw new WrongExpectedRevisionError(
      streamId,
      expected,
      actualRevisionFromEsdb(result.nextExpectedRevision),
    );
  return { result, lastId: proposed[proposed.length - 1]!.id };
};

export const appendToStream = async (
  log: EsdbLog,
  streamId: string,
  events: readonly EventData[],
  expected: ExpectedRevision,
): Promise<AppendResult> => {
  // Also refuses an invalid revision, before anything else.
  const sent = toEsdbExpectedRevision(expected);
  if (events.length === 0) return checkEmptyAppend(log, streamId, expected);
  const { result, lastId } = await sendAppend(log, streamId, events, { expected, sent });
  const nextRevision = Number(result.nextExpectedRevision);
  if (result.position && !isUnknownEsdbPosition(result.position))
    return { nextRevision, position: positionFromEsdb(result.position) };
  // No position (an idempotent repeat on some servers) or Position.End: find the last event in $all. Failing
  // that, the head of the application's log is at or after it, which is what read-your-writes waits for.
  const found = await findPositions(log, [{ streamId, id: lastId }]);
  return { nextRevision, position: found.values().next().value ?? (await headPosition(log)) };
};

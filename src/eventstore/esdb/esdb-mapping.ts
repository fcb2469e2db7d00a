/**
 * Pure translations between the event store port and `@eventstore/db-client` 6.2.1: no I/O, so every rule
 * here is unit tested without a server.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ANY,
  type AppendExpectedRevision,
  type EventData as EsdbEventData,
  type Filter,
  type JSONType,
  NO_STREAM,
  type Position as EsdbPosition,
  type ReadPosition,
  START as ESDB_START,
  STREAM_EXISTS,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  streamNameFilter,
} from '@eventstore/db-client';
import {
  type EventData,
  type EventFilter,
  type EventMetadata,
  EventStoreUnavailableError,
  type ExpectedRevision,
  type Position,
  type RecordedEvent,
  START,
  WrongExpectedRevisionError,
  decodePosition,
  encodePosition,
} from '../port';

// ---------------------------------------------------------------------------------------------------------
// Revisions

const assertRevision = (value: number, what: string): void => {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${what} must be an integer >= 0, got ${value}`);
};

/** The port's expectation as the client's: an exact revision becomes a bigint, the states keep their names. */
export const toEsdbExpectedRevision = (expected: ExpectedRevision): AppendExpectedRevision => {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      assertRevision(expected, 'expected revision');
      return BigInt(expected);
  }
};

/** The client's expectation back in the port's terms (for errors the adapter did not start itself). */
export const fromEsdbExpectedRevision = (expected: unknown): ExpectedRevision => {
  if (typeof expected === 'bigint') return expected < 0n ? 'no_stream' : Number(expected);
  if (expected === NO_STREAM || expected === STREAM_EXISTS) return expected;
  return 'any';
};

/**
 * A stream's actual revision as reported by the client: a bigint revision, `no_stream` (or -1 from older
 * servers and from `nextExpectedRevision` of a failed append) when the stream does not exist, and
 * undefined when the client does not say.
 */
export const actualRevisionFromEsdb = (actual: unknown): number | null | undefined => {
  if (actual === NO_STREAM) return null;
  if (typeof actual === 'bigint') return actual < 0n ? null : Number(actual);
  if (typeof actual === 'number' && Number.isInteger(actual)) return actual < 0 ? null : actual;
  return undefined;
};

export const assertReadRevision = (revision: number): bigint => {
  assertRevision(revision, 'fromRevision');
  return BigInt(revision);
};

// ---------------------------------------------------------------------------------------------------------
// Positions

/** High half = commit position, low half = prepare position, so string order is $all order. */
export const positionFromEsdb = (position: EsdbPosition): Position =>
  encodePosition(position.commit, position.prepare);

export const positionToEsdb = (position: Position): EsdbPosition => {
  const { high, low } = decodePosition(position);
  return { commit: high, prepare: low };
};

/** Where a read or subscription starts: the port's START is the client's `start`. */
export const toEsdbReadPosition = (position: Position): ReadPosition =>
  position === START ? ESDB_START : positionToEsdb(position);

// ---------------------------------------------------------------------------------------------------------
// Writing events

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Metadata keys the adapter adds for EventStoreDB itself; `$`-keys never reach readers. */
export const ORIGINAL_EVENT_ID_KEY = '$eventId';

/** A name-based (version 5 layout) UUID, so the same foreign id always maps to the same EventStoreDB id. */
const uuidFromName = (name: string): string => {
  const bytes = createHash('sha1').update(`team-tracker/event-id/${name}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/**
 * EventStoreDB ids must be UUIDs and come back in lower case. A lower-case UUID is used as it is; any other id
 * (upper-case UUID or not a UUID at all) is mapped deterministically, which keeps the server's idempotent
 * retries working, and the original is kept in the metadata so that reads return it unchanged.
 */
export const esdbEventId = (eventId: string | undefined): { id: string; original?: string } => {
  if (eventId === undefined) return { id: randomUUID() };
  if (CANONICAL_UUID.test(eventId)) return { id: eventId };
  return { id: UUID.test(eventId) ? eventId.toLowerCase() : uuidFromName(eventId), original: eventId };
};

/**
 * The JSON metadata stored with an event: the port's fields, plus `$correlationId`/`$causationId`, which
 * EventStoreDB's own tooling (the `$by_correlation_id` projection, the UI) understands.
 */
export const toEsdbMetadata = (
  metadata: EventMetadata,
  originalEventId?: string,
): Record<string, unknown> => ({
  ...metadata,
  $correlationId: metadata.correlationId,
  $causationId: metadata.causationId,
  ...(originalEventId === undefined ? {} : { [ORIGINAL_EVENT_ID_KEY]: originalEventId }),
});

export const toEsdbEventData = (event: EventData): EsdbEventData => {
  const { id, original } = esdbEventId(event.eventId);
  return {
    id,
    contentType: 'application/json',
    type: event.type,
    // The client JSON-encodes whatever it is given; `undefined` would encode to nothing, so store null.
    data: (event.data === undefined ? null : event.data) as JSONType,
    metadata: toEsdbMetadata(event.metadata, original),
  };
};

// ---------------------------------------------------------------------------------------------------------
// Reading events

/** What the adapter needs of the client's recorded event (both stream and $all reads fit). */
export interface EsdbRecordedLike {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  created: Date | number | bigint | string;
  data: unknown;
  metadata: unknown;
  position?: EsdbPosition;
}

/** What the adapter needs of the client's resolved event. */
export interface EsdbResolvedLike {
  event?: EsdbRecordedLike;
  link?: unknown;
  commitPosition?: bigint;
}

const TICKS_PER_MILLISECOND = 10_000n;

/** v6 gives `created` as a Date; older clients gave .NET ticks (100 ns) since the Unix epoch. */
export const recordedAtFromEsdb = (created: Date | number | bigint | string): Date => {
  if (created instanceof Date) return new Date(created.getTime());
  if (typeof created === 'bigint') return new Date(Number(created / TICKS_PER_MILLISECOND));
  if (typeof created === 'number') return new Date(Math.floor(created / 10_000));
  return new Date(created);
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

const stringOr = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);

/**
 * The port's metadata from the stored JSON. Keys starting with `$` belong to EventStoreDB and are dropped;
 * events written by other tools (no or partial metadata) get neutral defaults rather than failing the read.
 */
export const fromEsdbMetadata = (raw: unknown, recordedAt: Date): EventMetadata => {
  const source = isRecord(raw) ? raw : {};
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) if (!key.startsWith('$')) kept[key] = value;
  return {
    ...kept,
    actorId: typeof source.actorId === 'string' ? source.actorId : null,
    correlationId: stringOr(source.correlationId, stringOr(source.$correlationId, '')),
    causationId: stringOr(source.causationId, stringOr(source.$causationId, '')),
    commandId: stringOr(source.commandId, ''),
    schemaVersion: typeof source.schemaVersion === 'number' ? source.schemaVersion : 1,
    occurredAt: stringOr(source.occurredAt, recordedAt.toISOString()),
  };
};

/**
 * The event's $all position. Servers before 22.6 leave it out of stream reads; the commit position is then
 * the best available (it equals the prepare position for everything written through gRPC).
 */
export const esdbPositionOf = (resolved: EsdbResolvedLike): EsdbPosition | undefined => {
  if (resolved.event?.position) return resolved.event.position;
  if (resolved.commitPosition !== undefined)
    return { commit: resolved.commitPosition, prepare: resolved.commitPosition };
  return undefined;
};

/** The port's recorded event, or null when the resolved event carries none (an unresolved link). */
export const toRecordedEvent = (resolved: EsdbResolvedLike): RecordedEvent | null => {
  const event = resolved.event;
  if (!event) return null;
  const position = esdbPositionOf(resolved);
  if (!position)
    throw new Error(`EventStoreDB returned event ${event.id} without a position (server older than 22.6?)`);
  const recordedAt = recordedAtFromEsdb(event.created);
  const original = isRecord(event.metadata) ? event.metadata[ORIGINAL_EVENT_ID_KEY] : undefined;
  return {
    eventId: typeof original === 'string' ? original : event.id,
    streamId: event.streamId,
    revision: Number(event.revision),
    position: positionFromEsdb(position),
    type: event.type,
    data: event.data,
    metadata: fromEsdbMetadata(event.metadata, recordedAt),
    recordedAt,
  };
};

// ---------------------------------------------------------------------------------------------------------
// The whole log: system events and filters

/** EventStoreDB's own events: `$`-types (`$>` links, `$metadata`, `$statsCollected`, …) and `$`-streams. */
export const isSystemEvent = (event: { streamId: string; type: string }): boolean =>
  event.streamId.startsWith('$') || event.type.startsWith('$');

/** The port's filter applied in process; no filter or no prefixes lets everything through. */
export const matchesFilter = (
  event: { streamId: string; type: string },
  filter: EventFilter | undefined,
): boolean => {
  if (!filter || filter.prefixes.length === 0) return true;
  const value = filter.on === 'eventType' ? event.type : event.streamId;
  return filter.prefixes.some((prefix) => value.startsWith(prefix));
};

/** Whether a read or subscription of the whole log hands this event to the caller. */
export const isDeliverable = (
  event: { streamId: string; type: string },
  filter: EventFilter | undefined,
): boolean => !isSystemEvent(event) && matchesFilter(event, filter);

type CheckpointReached = NonNullable<Filter['checkpointReached']>;

/**
 * The server-side filter of a `$all` subscription. The server takes one filter, so a prefix filter replaces
 * `excludeSystemEvents()`; system events that still arrive are dropped in process by `isDeliverable`.
 */
export const toEsdbFilter = (
  filter: EventFilter | undefined,
  checkpointReached?: CheckpointReached,
): Filter => {
  const callback = checkpointReached ? { checkpointReached } : {};
  if (!filter || filter.prefixes.length === 0) return excludeSystemEvents(callback);
  const prefixes = [...filter.prefixes];
  return filter.on === 'eventType'
    ? eventTypeFilter({ prefixes, ...callback })
    : streamNameFilter({ prefixes, ...callback });
};

// ---------------------------------------------------------------------------------------------------------
// Errors

const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;
const UNAVAILABLE_TYPES = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'not-leader']);

interface ErrorLike {
  type?: unknown;
  code?: unknown;
  message?: unknown;
  streamName?: unknown;
  expectedVersion?: unknown;
  actualVersion?: unknown;
}

const asErrorLike = (error: unknown): ErrorLike => (typeof error === 'object' && error !== null ? error : {});

export const isWrongExpectedVersion = (error: unknown): boolean =>
  error instanceof WrongExpectedVersionError || asErrorLike(error).type === 'wrong-expected-version';

export const isStreamNotFound = (error: unknown): boolean => asErrorLike(error).type === 'stream-not-found';

export const isStreamDeleted = (error: unknown): boolean => asErrorLike(error).type === 'stream-deleted';

/**
 * The client's own `UnavailableError`/`DeadlineExceededError`/`NotLeaderError`, and the plain gRPC errors
 * (code 14 "UNAVAILABLE", code 4 "DEADLINE_EXCEEDED") it lets through, e.g. when no server listens at all.
 */
export const isUnavailable = (error: unknown): boolean => {
  const e = asErrorLike(error);
  if (typeof e.type === 'string' && UNAVAILABLE_TYPES.has(e.type)) return true;
  if (e.code === GRPC_UNAVAILABLE || e.code === GRPC_DEADLINE_EXCEEDED) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /UNAVAILABLE|DEADLINE_EXCEEDED/.test(message) || /failed to discover/i.test(message);
};

/**
 * The port's error for a client error: wrong expected version and unavailability are translated, anything
 * else is returned unchanged. `context` names what the adapter asked for, which is more exact than what
 * the client reports back (the client loses the difference between `any` and an unknown expectation).
 */
export const mapEsdbError = (
  error: unknown,
  context: { streamId?: string; expected?: ExpectedRevision } = {},
): unknown => {
  if (error instanceof EventStoreUnavailableError || error instanceof WrongExpectedRevisionError)
    return error;
  if (isWrongExpectedVersion(error)) {
    const e = asErrorLike(error);
    const mapped = new WrongExpectedRevisionError(
      context.streamId ?? (typeof e.streamName === 'string' ? e.streamName : ''),
      context.expected ?? fromEsdbExpectedRevision(e.expectedVersion),
      actualRevisionFromEsdb(e.actualVersion),
    );
    mapped.cause = error;
    return mapped;
  }
  if (isUnavailable(error)) {
    const message = typeof asErrorLike(error).message === 'string' ? String(asErrorLike(error).message) : '';
    return new EventStoreUnavailableError(`EventStoreDB is unavailable${message ? `: ${message}` : ''}`, {
      cause: error,
    });
  }
  return error;
};

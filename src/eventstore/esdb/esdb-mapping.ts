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
  AppendTooLargeError,
  type EventData,
  type EventFilter,
  type EventMetadata,
  EventStoreAccessDeniedError,
  EventStoreUnavailableError,
  type ExpectedRevision,
  type Position,
  type RecordedEvent,
  START,
  StreamDeletedError,
  WrongExpectedRevisionError,
  decodePosition,
  encodePosition,
} from '../port';
import { CANONICAL_UUID_PATTERN, UUID_PATTERN } from '../../shared/uuid';

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

const U64_MAX = 2n ** 64n - 1n;

/**
 * `Position.End` (both halves 2^64-1) is how the server says "no position": servers before 22.6 give it to every
 * event read from a stream, later ones to events written in a legacy TCP transaction. The client passes it on
 * as if it were a position; it is the end of the log, which no reader ever reaches.
 */
export const isUnknownEsdbPosition = (position: EsdbPosition): boolean =>
  position.commit >= U64_MAX || position.prepare >= U64_MAX;

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
  if (CANONICAL_UUID_PATTERN.test(eventId)) return { id: eventId };
  return {
    id: UUID_PATTERN.test(eventId) ? eventId.toLowerCase() : uuidFromName(eventId),
    original: eventId,
  };
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

/**
 * A value as plain JSON, or a TypeError saying why it has none. The client calls `JSON.stringify` inside a
 * promise executor, so a value it cannot encode (a bigint, a cycle) leaves its append pending for ever; the
 * adapter encodes first and hands the client a plain copy, which encodes to exactly the same text.
 */
const asJson = (value: unknown, what: () => string): JSONType => {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`${what()} cannot be stored as JSON: ${(error as Error).message}`, { cause: error });
  }
  if (text === undefined) throw new TypeError(`${what()} cannot be stored as JSON: it is a ${typeof value}`);
  return JSON.parse(text) as JSONType;
};

/** One port event as the client's JSON event; throws a TypeError at once when data or metadata is not JSON. */
export const toEsdbEventData = (
  event: EventData,
  where: { streamId?: string; index?: number } = {},
): EsdbEventData => {
  const { id, original } = esdbEventId(event.eventId);
  const what = (part: string) => () =>
    `the ${part} of event ${where.index ?? 0} (${event.type})${where.streamId ? ` for stream ${where.streamId}` : ''}`;
  return {
    id,
    contentType: 'application/json',
    type: event.type,
    // `undefined` would encode to nothing at all: store null, as the PostgreSQL adapter does.
    data: (event.data === undefined ? null : asJson(event.data, what('data'))) as JSONType,
    metadata: asJson(toEsdbMetadata(event.metadata, original), what('metadata')),
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
  if (typeof created === 'number') return new Date(Math.floor(created / Number(TICKS_PER_MILLISECOND)));
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
 * The event's $all position, or undefined when the server did not say. The client always fills
 * `event.position`; when the server had none it holds `Position.End`, and only the resolved event's
 * `commitPosition` (set for $all reads, where commit equals prepare for everything written through gRPC) may
 * still tell.
 */
export const esdbPositionOf = (resolved: EsdbResolvedLike): EsdbPosition | undefined => {
  const position = resolved.event?.position;
  if (position && !isUnknownEsdbPosition(position)) return position;
  const commit = resolved.commitPosition;
  if (commit !== undefined && commit < U64_MAX) return { commit, prepare: commit };
  return undefined;
};

/** The server did not report where an event sits in $all, and the adapter could not find out. */
export class UnknownPositionError extends Error {
  override readonly name = 'UnknownPositionError';
  constructor(
    readonly streamId: string,
    readonly revision: number,
  ) {
    super(
      `EventStoreDB did not report the $all position of event ${revision} of stream ${streamId} ` +
        '(servers before 22.6 do not for stream reads, nor any server for events written in a legacy TCP ' +
        'transaction), and it is not among the latest events of $all. Team Tracker needs EventStoreDB 22.10 or later.',
    );
  }
}

/**
 * The port's recorded event, or null when the resolved event carries none (an unresolved link). `position`
 * overrides what the server reported (the adapter found it in $all); without either, UnknownPositionError.
 */
export const toRecordedEvent = (resolved: EsdbResolvedLike, position?: Position): RecordedEvent | null => {
  const event = resolved.event;
  if (!event) return null;
  const raw = position === undefined ? esdbPositionOf(resolved) : undefined;
  if (position === undefined && !raw) throw new UnknownPositionError(event.streamId, Number(event.revision));
  const recordedAt = recordedAtFromEsdb(event.created);
  const original = isRecord(event.metadata) ? event.metadata[ORIGINAL_EVENT_ID_KEY] : undefined;
  return {
    eventId: typeof original === 'string' ? original : event.id,
    streamId: event.streamId,
    revision: Number(event.revision),
    position: position ?? positionFromEsdb(raw!),
    type: event.type,
    data: event.data,
    metadata: fromEsdbMetadata(event.metadata, recordedAt),
    recordedAt,
  };
};

// ---------------------------------------------------------------------------------------------------------
// The whole log: the application's scope, system events and filters

/**
 * The stream categories Team Tracker writes (`organization-<id>`, `project-<id>`, `issue-<id>`, `user-<id>`, `admin-<id>`):
 * whole-log reads see these streams only, whatever else shares the database.
 */
export const APP_STREAM_PREFIXES: readonly string[] = [
  'organization-',
  'project-',
  'issue-',
  'user-',
  'admin-',
];

/** EventStoreDB's own events: `$`-types (`$>` links, `$metadata`, `$streamDeleted`, …) and `$`-streams. */
export const isSystemEvent = (event: { streamId: string; type: string }): boolean =>
  event.streamId.startsWith('$') || event.type.startsWith('$');

export const inScope = (streamId: string, scope: readonly string[]): boolean =>
  scope.some((prefix) => streamId.startsWith(prefix));

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
  scope?: readonly string[],
): boolean =>
  !isSystemEvent(event) &&
  (scope === undefined || inScope(event.streamId, scope)) &&
  matchesFilter(event, filter);

/**
 * The stream-name prefixes that are both in scope and asked for: a requested prefix inside a scope prefix stays,
 * a scope prefix inside a requested one replaces it. Empty when nothing can match.
 */
export const scopedStreamPrefixes = (scope: readonly string[], requested: readonly string[]): string[] => {
  const out = new Set<string>();
  for (const wanted of requested) {
    for (const allowed of scope) {
      if (wanted.startsWith(allowed)) out.add(wanted);
      else if (allowed.startsWith(wanted)) out.add(allowed);
    }
  }
  return [...out];
};

type CheckpointReached = NonNullable<Filter['checkpointReached']>;

/**
 * The server-side filter of a `$all` subscription. The server takes one expression, so the application's scope
 * (stream-name prefixes, which also keeps `$`-streams out) goes to the server, narrowed by a stream-name filter
 * the caller asks for; an event-type filter is applied in process (`isDeliverable`), as are `$`-typed events
 * inside the application's streams (a deletion's `$streamDeleted`). Without a scope, the caller's filter goes to
 * the server, or `excludeSystemEvents()`.
 */
export const toEsdbFilter = (
  filter: EventFilter | undefined,
  checkpointReached?: CheckpointReached,
  scope?: readonly string[],
): Filter => {
  const callback = checkpointReached ? { checkpointReached } : {};
  const wanted = filter && filter.prefixes.length > 0 ? filter : undefined;
  if (scope && scope.length > 0) {
    const narrowed = wanted?.on === 'streamName' ? scopedStreamPrefixes(scope, wanted.prefixes) : [];
    return streamNameFilter({ prefixes: narrowed.length > 0 ? narrowed : [...scope], ...callback });
  }
  if (!wanted) return excludeSystemEvents(callback);
  const prefixes = [...wanted.prefixes];
  return wanted.on === 'eventType'
    ? eventTypeFilter({ prefixes, ...callback })
    : streamNameFilter({ prefixes, ...callback });
};

// ---------------------------------------------------------------------------------------------------------
// Errors

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_ABORTED = 10;
const GRPC_UNAVAILABLE = 14;
const UNAVAILABLE_TYPES = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'not-leader']);

interface ErrorLike {
  type?: unknown;
  code?: unknown;
  message?: unknown;
  streamName?: unknown;
  expectedVersion?: unknown;
  actualVersion?: unknown;
  maxAppendSize?: unknown;
}

const asErrorLike = (error: unknown): ErrorLike => (typeof error === 'object' && error !== null ? error : {});

/** The client's own errors carry a `type`; anything else with a numeric `code` is a plain gRPC error. */
const clientType = (error: unknown): string | undefined => {
  const type = asErrorLike(error).type;
  return typeof type === 'string' ? type : undefined;
};

const grpcCode = (error: unknown): number | undefined => {
  if (clientType(error) !== undefined) return undefined;
  const code = asErrorLike(error).code;
  return typeof code === 'number' ? code : undefined;
};

export const isWrongExpectedVersion = (error: unknown): boolean =>
  error instanceof WrongExpectedVersionError || clientType(error) === 'wrong-expected-version';

export const isStreamNotFound = (error: unknown): boolean => clientType(error) === 'stream-not-found';

export const isStreamDeleted = (error: unknown): boolean => clientType(error) === 'stream-deleted';

export const isAccessDenied = (error: unknown): boolean => clientType(error) === 'access-denied';

export const isMaxAppendSizeExceeded = (error: unknown): boolean =>
  clientType(error) === 'maximum-append-size-exceeded';

/** What the client throws when `esdb+discover://` finds no node: a plain Error, its text is all there is. */
const DISCOVERY_FAILED = /^Failed to discover after \d+ attempts\b/;

/**
 * The client's own `UnavailableError`/`DeadlineExceededError`/`TimeoutError`/`NotLeaderError`, the plain gRPC errors it lets
 * through (code 14 UNAVAILABLE, code 4 DEADLINE_EXCEEDED, e.g. when no server listens at all), and a failed
 * cluster discovery. By type and code only: the words in a message may come from a stream name.
 */
export const isUnavailable = (error: unknown): boolean => {
  const type = clientType(error);
  if (type !== undefined) return UNAVAILABLE_TYPES.has(type);
  const code = grpcCode(error);
  if (code !== undefined) return code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED;
  const message = asErrorLike(error).message;
  return error instanceof Error && typeof message === 'string' && DISCOVERY_FAILED.test(message);
};

/** Why the server ended a subscription that can simply be opened again, or undefined when it cannot. */
export type SubscriptionDropReason = 'aborted' | 'unavailable' | 'ended';

export const subscriptionDropReason = (error: unknown): SubscriptionDropReason | undefined => {
  // ABORTED ("Operation timed out: Consumer too slow to handle event while live. Client resubscription
  // required."), which the client calls a TimeoutError.
  if (clientType(error) === 'timeout' || grpcCode(error) === GRPC_ABORTED) return 'aborted';
  if (isUnavailable(error)) return 'unavailable';
  return undefined;
};

const RIGHTS_HINT =
  'Team Tracker needs read and write on its own streams, and read on $all for the projector and for ' +
  'whole-log reads (see docs/event-store.md)';

/**
 * The port's error for a client error: wrong expected version, a deleted stream, an oversized append, a refusal
 * and unavailability are translated, anything else is returned unchanged. `context` names what the adapter asked
 * for, which is more exact than what the client reports back (the client loses the difference between `any` and
 * an unknown expectation).
 */
export const mapEsdbError = (
  error: unknown,
  context: { streamId?: string; expected?: ExpectedRevision; operation?: string } = {},
): unknown => {
  if (
    error instanceof EventStoreUnavailableError ||
    error instanceof WrongExpectedRevisionError ||
    error instanceof StreamDeletedError ||
    error instanceof AppendTooLargeError ||
    error instanceof EventStoreAccessDeniedError
  )
    return error;
  const e = asErrorLike(error);
  const streamId = context.streamId ?? (typeof e.streamName === 'string' ? e.streamName : '');
  if (isWrongExpectedVersion(error)) {
    const mapped = new WrongExpectedRevisionError(
      streamId,
      context.expected ?? fromEsdbExpectedRevision(e.expectedVersion),
      actualRevisionFromEsdb(e.actualVersion),
    );
    mapped.cause = error;
    return mapped;
  }
  if (isStreamDeleted(error)) return new StreamDeletedError(streamId, { cause: error });
  if (isMaxAppendSizeExceeded(error)) {
    const max = typeof e.maxAppendSize === 'number' && e.maxAppendSize > 0 ? e.maxAppendSize : undefined;
    return new AppendTooLargeError(streamId, max, { cause: error });
  }
  if (isAccessDenied(error)) {
    const what = context.operation ?? (streamId ? `access to stream ${streamId}` : 'the request');
    return new EventStoreAccessDeniedError(
      `EventStoreDB refused ${what} to the user this process connects as. ${RIGHTS_HINT}.`,
      { cause: error },
    );
  }
  if (isUnavailable(error)) {
    const message = typeof e.message === 'string' ? e.message : '';
    return new EventStoreUnavailableError(`EventStoreDB is unavailable${message ? `: ${message}` : ''}`, {
      cause: error,
    });
  }
  return error;
};

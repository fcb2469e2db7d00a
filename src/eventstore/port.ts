/**
 * The event store port: one interface, two adapters (PostgreSQL, EventStoreDB), one contract suite.
 *
 * Positions are opaque strings to clients but totally ordered inside the system, and their order is the
 * order of delivery: once a reader has seen position P, no event at or below P can appear later.
 * Both adapters encode a position as two unsigned 64-bit numbers in fixed-width lower-case hex joined by
 * a dash, so plain (byte-wise, "C" collation) string comparison is position order.
 */

/** A global log position, e.g. `000000000000031a-0000000000000007`. */
export type Position = string;

/** The position before the first event. */
export const START: Position = '0000000000000000-0000000000000000';

const HEX64 = /^[0-9a-f]{16}-[0-9a-f]{16}$/;

export const isPosition = (value: string): value is Position => HEX64.test(value);

export const encodePosition = (high: bigint, low: bigint): Position =>
  `${high.toString(16).padStart(16, '0')}-${low.toString(16).padStart(16, '0')}`;

export const decodePosition = (position: Position): { high: bigint; low: bigint } => {
  if (!isPosition(position)) throw new TypeError(`not a position: ${position}`);
  const [high, low] = position.split('-') as [string, string];
  return { high: BigInt(`0x${high}`), low: BigInt(`0x${low}`) };
};

/** -1, 0 or 1, as the positions' order. */
export const comparePositions = (a: Position, b: Position): number => (a < b ? -1 : a > b ? 1 : 0);

export const maxPosition = (a: Position, b: Position): Position => (a >= b ? a : b);

/** What a writer expects the stream to be: an exact revision (0-based, of the last event), or a state. */
export type ExpectedRevision = number | 'no_stream' | 'stream_exists' | 'any';

/** Whether a stream whose last revision is `actual` (null: no stream) is what the writer expects. */
export const meetsExpectation = (expected: ExpectedRevision, actual: number | null): boolean =>
  expected === 'any' ||
  (expected === 'no_stream' && actual === null) ||
  (expected === 'stream_exists' && actual !== null) ||
  expected === actual;

export interface EventMetadata {
  /** The user (or system actor) on whose behalf the event was recorded; null for the system itself. */
  actorId: string | null;
  /** The HTTP request id or job run id the change belongs to. */
  correlationId: string;
  /** The command id, or the id of the event that caused this one. */
  causationId: string;
  commandId: string;
  /** The version of the payload shape; upcasters raise old versions to the current one on read. */
  schemaVersion: number;
  /** ISO 8601 UTC time of the decision (from the command's metadata, not the store's clock). */
  occurredAt: string;
}

export interface EventData<Type extends string = string, Data = unknown> {
  /** Generated when absent. */
  eventId?: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  eventId: string;
  streamId: string;
  /** 0-based revision of the event in its stream. */
  revision: number;
  position: Position;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  /** When the store recorded it. */
  recordedAt: Date;
}

export interface AppendResult {
  /** The revision of the last appended event (what to expect next time). */
  nextRevision: number;
  /** The global position of the last appended event. */
  position: Position;
}

export interface ReadStreamOptions {
  /** Inclusive; defaults to 0 forwards and the end backwards. */
  fromRevision?: number;
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
}

/** Server-side filter over the whole log; system events are always excluded. */
export type EventFilter =
  | { on: 'eventType'; prefixes: readonly string[] }
  | { on: 'streamName'; prefixes: readonly string[] };

/** How many events `readAll` returns when the caller does not say. */
export const DEFAULT_READ_ALL_COUNT = 1000;

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Defaults to the start. */
  fromPosition?: Position;
  /** Defaults to `DEFAULT_READ_ALL_COUNT`. */
  maxCount?: number;
  filter?: EventFilter;
}

/** The most events in one delivered batch when the subscriber does not say. */
export const DEFAULT_MAX_BATCH_SIZE = 500;

export interface SubscribeOptions {
  /** Exclusive: deliver events strictly after this position. Defaults to the start. */
  fromPosition?: Position;
  filter?: EventFilter;
  /** Most events in one delivered batch; defaults to `DEFAULT_MAX_BATCH_SIZE`. */
  maxBatchSize?: number;
}

export type SubscriptionMessage =
  | { kind: 'events'; events: RecordedEvent[] }
  /** Everything committed up to `position` has been delivered; later events arrive live. */
  | { kind: 'caughtUp'; position: Position };

/** What a reader of single streams needs (history, `as_of`): no appends, no whole-log reads. */
export type StreamReader = Pick<EventStore, 'readStream'>;

/**
 * A subscription to the whole log. Iterate it to receive batches in log order; the iteration ends after
 * `stop()`. A failure that the adapter cannot recover from ends the iteration by throwing.
 */
export interface AllSubscription extends AsyncIterable<SubscriptionMessage> {
  stop(): Promise<void>;
}

/** A stream a decision read, at the revision it read: -1 for a stream that did not exist. */
export interface StreamAt {
  streamId: string;
  revision: number;
}

export interface AppendOptions {
  /** What the appended stream must be at; defaults to `any`. */
  expectedRevision?: ExpectedRevision;
  /**
   * Other streams the decision was made on (an organization's membership, say), at the revisions it saw: the
   * append writes only while each is still there, else it writes nothing and throws `WrongExpectedRevisionError`
   * naming that stream. PostgreSQL checks them in the append's own statement. EventStoreDB has no condition on
   * other streams: it reads their revisions just before appending, a check as strong as reading them first.
   */
  unchanged?: readonly StreamAt[];
}

export interface EventStore {
  /**
   * Which log this is (`'postgresql'`, `'eventstoredb'`). Positions of one log mean nothing in another, so the
   * projector records it with its checkpoints and refuses checkpoints written reading another log.
   */
  readonly kind: string;
  appendToStream(
    streamId: string,
    events: readonly EventData[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /** Events of one stream, in revision order; an empty array for a stream that does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The revision of a stream's last event, or null when it does not exist. */
  streamRevision(streamId: string): Promise<number | null>;
  /** Events of the whole log after a position, in log order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** The position of the last event delivered to readers, or START. */
  headPosition(): Promise<Position>;
  subscribeToAll(options?: SubscribeOptions): AllSubscription;
  /**
   * Resolves once the store answers a request that needs no more rights than appending and reading streams
   * (for readiness checks); rejects with the port's errors otherwise.
   */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The stream was not at the revision the writer expected. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual last revision, or null when it does not exist; undefined when unknown. */
    readonly actual: number | null | undefined,
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

/** The store could not be reached; callers answer 503 and may retry. */
export class EventStoreUnavailableError extends Error {
  override readonly name = 'EventStoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The stream was deleted for good (an EventStoreDB tombstone): it can be neither appended to nor recreated. */
export class StreamDeletedError extends Error {
  override readonly name = 'StreamDeletedError';
  constructor(
    readonly streamId: string,
    options?: { cause?: unknown },
  ) {
    super(`stream ${streamId} was deleted for good and cannot be written again`, options);
  }
}

/** The append is larger than the store accepts at once; nothing was written. */
export class AppendTooLargeError extends Error {
  override readonly name = 'AppendTooLargeError';
  constructor(
    readonly streamId: string,
    /** The store's limit in bytes, when it says. */
    readonly maxBytes: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `append to stream ${streamId} is larger than the event store accepts at once` +
        (maxBytes === undefined ? '' : ` (${maxBytes} bytes)`),
      options,
    );
  }
}

/** The store refused the operation to the user this process connects as: a deployment error, not a retry. */
export class EventStoreAccessDeniedError extends Error {
  override readonly name = 'EventStoreAccessDeniedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

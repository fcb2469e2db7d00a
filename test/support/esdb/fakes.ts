/**
 * Stand-ins for `@eventstore/db-client` objects and for the server behind them, for the adapter's unit tests (no
 * server can run here). They are as strict as the real thing, because a lenient fake is how the adapter's bugs
 * hid: appends encode data the way the client does (and hang where it hangs), stream reads of an old server give
 * `Position.End`, and `FakeEsdbServer` runs subscriptions through the client's own `Subscription` transform with
 * the server's bounded live buffer, its start rule and its signals. Every rule cites what it copies.
 */
import { EventEmitter } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  AccessDeniedError,
  type AppendExpectedRevision,
  type AppendResult as EsdbAppendResult,
  type EventData as EsdbEventData,
  type Position as EsdbPosition,
  type Filter,
  MaxAppendSizeExceededError,
  type ReadAllOptions,
  type ReadPosition,
  type ReadStreamOptions,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { Subscription as ClientSubscription } from '@eventstore/db-client/dist/streams/utils/Subscription';
import type { EventMetadata } from '../../../src/eventstore/port';
import type { EsdbClient } from '../../../src/eventstore/esdb/esdb-event-store';
import type { EsdbRecordedLike, EsdbResolvedLike } from '../../../src/eventstore/esdb/esdb-mapping';
import type { SubscriptionSource } from '../../../src/eventstore/esdb/esdb-subscription';

export const META: EventMetadata = {
  actorId: 'user-1',
  correlationId: 'corr-1',
  causationId: 'cause-1',
  commandId: 'cmd-1',
  schemaVersion: 1,
  occurredAt: '2026-11-24T10:00:00.000Z',
};

/** The server's `Position.End`: what it reports when it does not know an event's position. */
export const POSITION_END: EsdbPosition = { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n };

let nextId = 0;
const uuid = () => {
  nextId += 1;
  return `00000000-0000-4000-8000-${nextId.toString(16).padStart(12, '0')}`;
};

/**
 * A resolved event as the client returns it from `$all` reads and subscriptions (commit = prepare, as gRPC
 * writes), and from stream reads of servers since 22.6.
 */
export const resolvedEvent = (
  at: number | bigint,
  overrides: Partial<EsdbRecordedLike> = {},
): EsdbResolvedLike & { event: EsdbRecordedLike } => {
  const position = BigInt(at);
  return {
    event: {
      streamId: 'issue-1',
      id: uuid(),
      revision: 0n,
      type: 'IssueCreated',
      created: new Date('2026-11-24T10:00:01.000Z'),
      data: { n: Number(position) },
      metadata: { ...META, $correlationId: META.correlationId, $causationId: META.causationId },
      position: { commit: position, prepare: position },
      ...overrides,
    },
    commitPosition: position,
  };
};

/**
 * The same event as the client returns it from a stream read of a server before 22.6 (or, on any server, for an
 * event written in a legacy TCP transaction): the server sends `Position.End` and no commit position
 * (`ConvertToRecordedEvent(e, commitPosition: null)` → `Position.FromInt64(-1, -1)`, `NoPosition`), and the
 * client's `extractPosition` turns that into a position all the same.
 */
export const unplacedStreamRead = (resolved: EsdbResolvedLike & { event: EsdbRecordedLike }) => ({
  event: { ...resolved.event, position: POSITION_END },
});

/** An async iterable standing in for the client's `StreamingRead`, failing at the end when told to. */
export const streamingRead = <T>(items: readonly T[], failWith?: unknown) =>
  (async function* () {
    for (const item of items) yield item;
    if (failWith !== undefined) throw failWith;
  })();

const cmp = (a: EsdbPosition, b: EsdbPosition): number =>
  a.commit === b.commit
    ? a.prepare === b.prepare
      ? 0
      : a.prepare < b.prepare
        ? -1
        : 1
    : a.commit < b.commit
      ? -1
      : 1;

/**
 * `$all` as the server pages it: forwards from a position includes the event at it, backwards from a position
 * excludes it. Records every call so tests can check the options.
 */
export const fakeAll = (log: readonly EsdbResolvedLike[]) => {
  const calls: ReadAllOptions[] = [];
  const readAll = (options: ReadAllOptions = {}) => {
    calls.push(options);
    const count = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const from: ReadPosition = options.fromPosition ?? 'start';
    const pos = (e: EsdbResolvedLike) => e.event!.position!;
    let page: EsdbResolvedLike[];
    if (options.direction === 'backwards') {
      const before = log.filter((e) => from === 'end' || (from !== 'start' && cmp(pos(e), from) < 0));
      page = [...before].reverse().slice(0, count);
    } else {
      const after = log.filter((e) => from === 'start' || (from !== 'end' && cmp(pos(e), from) >= 0));
      page = after.slice(0, count);
    }
    return streamingRead(page);
  };
  return { readAll, calls };
};

/**
 * What the client does with each event before sending it (`append.js` and `batchAppend.js` in 6.2.1): JSON data
 * through `JSON.stringify`, then `Buffer.from(text)`; metadata the same unless it is a `Uint8Array`. Throws where
 * the client would throw.
 */
export const encodeLikeTheClient = (event: EsdbEventData): { data: string; metadata: string | undefined } => {
  let data: string;
  if (event.contentType === 'application/json') {
    data = Buffer.from(JSON.stringify(event.data), 'utf8').toString('utf8');
  } else data = Buffer.from(event.data).toString('utf8');
  let metadata: string | undefined;
  if (event.metadata) {
    metadata =
      event.metadata.constructor === Uint8Array
        ? Buffer.from(event.metadata as Uint8Array).toString('utf8')
        : Buffer.from(JSON.stringify(event.metadata), 'utf8').toString('utf8');
  }
  return { data, metadata };
};

type AppendImpl = (
  stream: string,
  events: EsdbEventData[],
  options: { expectedRevision?: AppendExpectedRevision },
) => Promise<EsdbAppendResult> | EsdbAppendResult;

/**
 * The client's `appendToStream` around an implementation: events are encoded first, inside the promise executor,
 * as the client does (`new Promise(async (resolve, reject) => { … JSON.stringify … })`), so an event it cannot
 * encode leaves the returned promise pending for ever. `hung` collects those errors.
 */
export const clientAppend = (impl: AppendImpl) => {
  const hung: unknown[] = [];
  const appendToStream = (stream: string, events: EsdbEventData | EsdbEventData[], options = {}) => {
    const list = Array.isArray(events) ? events : [events];
    try {
      for (const event of list) encodeLikeTheClient(event);
    } catch (error) {
      hung.push(error);
      return new Promise<never>(() => undefined);
    }
    return Promise.resolve().then(() => impl(stream, list, options));
  };
  return { appendToStream, hung };
};

/** A client whose methods are jest mocks; pass implementations for the ones a test uses. */
export const stubClient = (
  methods: Partial<Record<keyof EsdbClient, (...args: never[]) => unknown>> = {},
) => {
  const fail = (name: string) => () => {
    throw new Error(`unexpected call to ${name}`);
  };
  const append = clientAppend((...args) => {
    if (!methods.appendToStream) return fail('appendToStream')();
    return (methods.appendToStream as unknown as AppendImpl)(...args);
  });
  return {
    appendToStream: jest.fn(append.appendToStream),
    /** Appends the client would never settle (their data could not be encoded). */
    hungAppends: append.hung,
    readStream: jest.fn(methods.readStream ?? fail('readStream')),
    readAll: jest.fn(methods.readAll ?? fail('readAll')),
    subscribeToAll: jest.fn(methods.subscribeToAll ?? fail('subscribeToAll')),
    dispose: jest.fn(methods.dispose ?? (async () => undefined)),
  };
};

export const asClient = (stub: { appendToStream: unknown }): EsdbClient => stub as unknown as EsdbClient;

/**
 * Behaves like the client's subscription: an object-mode stream that also emits `caughtUp`/`fellBehind`.
 * `unsubscribe()` cancels the call, after which the stream ends (grpc-js pushes the end on cancellation, and
 * the client swallows the cancellation error), as the real one does.
 */
export class FakeSubscription extends PassThrough implements SubscriptionSource {
  unsubscribeCalls = 0;
  private openFailure: Error | undefined;
  constructor() {
    super({ objectMode: true });
  }
  async unsubscribe(): Promise<void> {
    this.unsubscribeCalls += 1;
    // The real one awaits the call's creation first: it rejects when the call never opened.
    if (this.openFailure) throw this.openFailure;
    await tick();
    if (!this.writableEnded) this.end();
  }
  /** Pushes events, then lets the stream deliver them. */
  async send(...events: EsdbResolvedLike[]): Promise<void> {
    for (const e of events) this.write(e);
    await tick();
  }
  /** The call could not be opened (e.g. discovery failed): the client emits the error and `unsubscribe` rejects. */
  failToOpen(error: Error): void {
    this.openFailure = error;
    this.emit('error', error);
  }
}

/**
 * A subscription whose read buffer the test controls, to check that `caughtUp` is placed after the events the
 * client had already pushed but not yet emitted.
 */
export class ManualSubscription extends EventEmitter implements SubscriptionSource {
  readableLength = 0;
  unsubscribeCalls = 0;
  paused = false;
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  async unsubscribe(): Promise<void> {
    this.unsubscribeCalls += 1;
  }
}

export const tick = (): Promise<void> => nextTurn();

// ---------------------------------------------------------------------------------------------------------
// A fake server

export interface FakeServerOptions {
  /**
   * How a subscription starts from a position. 'skip-one' (servers 21.10 to 23.10, `Enumerators.AllSubscription
   * Filtered.Subscribe`): `ReadAllEventsForward(start, 1)` and catch up from its `NextPos`, i.e. after the first
   * record at or after the start, so when the start's own record is gone the next one is skipped. 'exclusive'
   * (24.10 and later): after the start.
   */
  start?: 'skip-one' | 'exclusive';
  /** Servers from 23.10 send `caughtUp` and `fellBehind`. */
  sendsCaughtUp?: boolean;
  /**
   * What a full live buffer does: 'drop' (before 24.10: `ConsumerTooSlow`, the call ends with ABORTED "Operation
   * timed out: Consumer too slow …") or 'fall-behind' (24.10 and later: drop oldest, `fellBehind`, catch up).
   */
  slowConsumer?: 'drop' | 'fall-behind';
  /** Live events a subscription may hold for a consumer that does not read (`MaxLiveEventBufferCount`). */
  liveBuffer?: number;
  /** Whether stream reads carry positions (servers from 22.6) or `Position.End` (before). */
  streamReadPositions?: boolean;
  /** Whether appends answer with a position (an idempotent repeat answers without on some servers). */
  appendPositions?: boolean;
  /** `MaxAppendSize` in bytes (default 1 MiB), counted as the server does: type, data and metadata. */
  maxAppendSize?: number;
  /** Streams the connecting user may not read or write (`AccessDenied`). */
  denied?: (streamId: string) => boolean;
  /** The connecting user may not read `$all` (the default ACL gives it to `$admins` only). */
  allDenied?: boolean;
}

interface StoredRecord {
  resolved: EsdbResolvedLike & { event: EsdbRecordedLike };
  position: EsdbPosition;
}

type GrpcResponse = Record<string, () => unknown>;

const eventResponse = (resolved: EsdbResolvedLike): GrpcResponse => ({
  hasEvent: () => true,
  getEvent: () => resolved,
});
const caughtUpResponse: GrpcResponse = { hasCaughtUp: () => true };
const fellBehindResponse: GrpcResponse = { hasFellBehind: () => true };
const checkpointResponse = (p: EsdbPosition): GrpcResponse => ({
  hasCheckpoint: () => true,
  getCheckpoint: () => ({
    getCommitPosition: () => p.commit.toString(10),
    getPreparePosition: () => p.prepare.toString(10),
  }),
});

/** A gRPC service error as grpc-js makes it (`callErrorFromStatus`). */
export const grpcError = (code: number, details: string, metadata: Record<string, string> = {}) =>
  Object.assign(new Error(`${code} ${grpcStatusName(code)}: ${details}`), {
    code,
    details,
    metadata: { getMap: () => metadata },
  });

const grpcStatusName = (code: number) =>
  ({ 1: 'CANCELLED', 4: 'DEADLINE_EXCEEDED', 7: 'PERMISSION_DENIED', 10: 'ABORTED', 14: 'UNAVAILABLE' })[
    code
  ] ?? 'UNKNOWN';

/** The server side of one `$all` subscription: catch-up reads, then live events through a bounded buffer. */
class ServerSubscription {
  readonly grpc: Readable & { cancel(): void };
  /** The server's outgoing channel: responses the transport has not taken yet. */
  private readonly outgoing: Array<{ response: GrpcResponse; position?: EsdbPosition }> = [];
  /** The last event handed to the transport. */
  private lastSent: EsdbPosition | 'start';
  private phase: 'catch-up' | 'live' = 'catch-up';
  /** The last record considered, by catch-up reads or live. */
  private cursor: EsdbPosition | 'start';
  private wanting = false;
  private ended = false;

  constructor(
    private readonly server: FakeEsdbServer,
    from: ReadPosition,
    private readonly filter: Filter | undefined,
  ) {
    this.cursor = this.startAfter(from);
    this.lastSent = this.cursor;
    const self = this;
    this.grpc = Object.assign(
      new Readable({
        objectMode: true,
        highWaterMark: 16,
        read() {
          self.wanting = true;
          self.pump();
        },
      }),
      {
        cancel: () => {
          // grpc-js `cancelWithStatus(CANCELLED, 'Cancelled on client')`: the end, then the error the client ignores.
          self.finish(grpcError(1, 'Cancelled on client'));
        },
      },
    );
  }

  private startAfter(from: ReadPosition): EsdbPosition | 'start' {
    if (from === 'start') return 'start';
    if (from === 'end') return this.server.lastPosition() ?? 'start';
    if (this.server.options.start === 'exclusive') return from;
    const first = this.server.records.find((r) => cmp(r.position, from) >= 0);
    return first ? first.position : from;
  }

  private passes(record: StoredRecord): boolean {
    const f = this.filter;
    const { streamId, type } = record.resolved.event;
    if (!f) return true;
    // Prefix and regex filters on $all also apply the default filter: no `$`-streams (`EventFilter`).
    if (streamId.startsWith('$')) return false;
    const value = f.filterOn === 'streamName' ? streamId : type;
    if ('prefixes' in f) return f.prefixes.some((p) => value.startsWith(p));
    return new RegExp(f.regex).test(value);
  }

  private after(record: StoredRecord) {
    return this.cursor === 'start' || cmp(record.position, this.cursor) > 0;
  }

  /** Moves what the transport accepts; reads the next catch-up page when nothing waits. */
  pump(): void {
    if (this.server.options.allDenied) return;
    while (this.wanting && !this.ended) {
      if (this.outgoing.length === 0) {
        if (this.phase === 'live') return;
        const page = this.server.records.filter((r) => this.after(r)).slice(0, 32);
        for (const record of page) {
          this.cursor = record.position;
          if (this.passes(record))
            this.outgoing.push({ response: eventResponse(record.resolved), position: record.position });
        }
        if (page.length < 32) {
          this.phase = 'live';
          if (this.server.options.sendsCaughtUp) this.outgoing.push({ response: caughtUpResponse });
          if (this.cursor !== 'start') this.outgoing.push({ response: checkpointResponse(this.cursor) });
        }
        continue;
      }
      const next = this.outgoing.shift()!;
      if (next.position) this.lastSent = next.position;
      this.wanting = this.grpc.push(next.response);
    }
  }

  /** A record appended while live: into the bounded buffer, or the consumer is too slow. */
  live(record: StoredRecord): void {
    if (this.ended || this.phase !== 'live' || !this.after(record)) return;
    this.cursor = record.position;
    if (!this.passes(record)) return;
    this.outgoing.push({ response: eventResponse(record.resolved), position: record.position });
    if (this.outgoing.length > (this.server.options.liveBuffer ?? 32)) {
      if (this.server.options.slowConsumer === 'fall-behind') {
        // 24.10+: the live channel drops its oldest; the gap sends the subscription back to catching up
        // from the last event it sent on.
        this.outgoing.length = 0;
        this.cursor = this.lastSent;
        this.phase = 'catch-up';
        if (this.server.options.sendsCaughtUp) this.outgoing.push({ response: fellBehindResponse });
      } else {
        this.server.drops += 1;
        this.finish(
          grpcError(
            10,
            'Operation timed out: Consumer too slow to handle event while live. Client resubscription required.',
          ),
        );
        return;
      }
    }
    this.pump();
  }

  /** Ends the call as grpc-js does on a status: the end of the stream first, then the error (if any). */
  finish(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.server.forget(this);
    this.grpc.push(null);
    if (error) this.grpc.emit('error', error);
  }
}

/**
 * A small EventStoreDB: a log of records in `$all` order, streams with revisions, tombstones, scavenging, and a
 * client (`client()`) whose reads, appends and subscriptions behave as 6.2.1's do against it.
 */
export class FakeEsdbServer {
  readonly records: StoredRecord[] = [];
  readonly subscriptions = new Set<ServerSubscription>();
  readonly tombstoned = new Set<string>();
  /** Soft-deleted streams and the revision their events now start after (`$tb`). */
  readonly truncatedBefore = new Map<string, bigint>();
  /** Subscriptions dropped for a slow consumer. */
  drops = 0;
  /** How many `$all` subscriptions were opened, and from where. */
  readonly subscribedFrom: ReadPosition[] = [];
  private nextPosition = 1000n;

  constructor(readonly options: FakeServerOptions = {}) {}

  lastPosition(): EsdbPosition | undefined {
    return this.records.at(-1)?.position;
  }

  forget(subscription: ServerSubscription): void {
    this.subscriptions.delete(subscription);
  }

  private revisionOf(streamId: string): bigint | undefined {
    let last: bigint | undefined;
    for (const r of this.records)
      if (r.resolved.event.streamId === streamId) last = r.resolved.event.revision;
    return last;
  }

  /** Writes records as the server would (for tests that set up a log, other applications' events included). */
  write(
    streamId: string,
    events: ReadonlyArray<{ type: string; data?: unknown; id?: string; metadata?: unknown }>,
  ) {
    let revision = this.revisionOf(streamId) ?? -1n;
    const written: StoredRecord[] = [];
    for (const e of events) {
      revision += 1n;
      const position = { commit: this.nextPosition, prepare: this.nextPosition };
      this.nextPosition += 100n;
      const record: StoredRecord = {
        position,
        resolved: {
          event: {
            streamId,
            id: e.id ?? uuid(),
            revision,
            type: e.type,
            created: new Date('2026-11-24T10:00:01.000Z'),
            data: e.data ?? {},
            metadata: e.metadata ?? { ...META },
            position,
          },
          commitPosition: position.commit,
        },
      };
      this.records.push(record);
      written.push(record);
    }
    for (const record of written) for (const s of [...this.subscriptions]) s.live(record);
    return written.map((r) => r.position);
  }

  /** Removes records for good, as a scavenge does with a deleted stream's events. */
  scavenge(predicate: (event: EsdbRecordedLike) => boolean): void {
    for (let i = this.records.length - 1; i >= 0; i--)
      if (predicate(this.records[i]!.resolved.event)) this.records.splice(i, 1);
  }

  /**
   * A soft delete: `$tb` in the stream's metadata (`$$<stream>`). The stream reads as not found; an append brings it
   * back, its revisions going on from where they were.
   */
  softDelete(streamId: string): void {
    const last = this.revisionOf(streamId);
    if (last === undefined) return;
    this.truncatedBefore.set(streamId, last + 1n);
    this.write(`$$${streamId}`, [{ type: '$metadata', data: { $tb: Number(last + 1n) } }]);
  }

  /** A hard delete: the stream is gone for good and its tombstone (`$streamDeleted`) is written in it. */
  tombstone(streamId: string): void {
    this.write(streamId, [{ type: '$streamDeleted' }]);
    this.tombstoned.add(streamId);
  }

  /** Ends every open subscription with an error, as a server restart or a network cut does. */
  dropAll(error: Error): void {
    for (const s of [...this.subscriptions]) s.finish(error);
  }

  private appendSize(events: EsdbEventData[]): number {
    // `Event.SizeOnDisk(type, data, metadata)`: the bytes of each, plus a little framing.
    return events.reduce((sum, e) => {
      const { data, metadata } = encodeLikeTheClient(e);
      return (
        sum + Buffer.byteLength(e.type) + Buffer.byteLength(data) + Buffer.byteLength(metadata ?? '') + 20
      );
    }, 0);
  }

  /** A client of this server that behaves as 6.2.1's does against it. */
  client(): FakeClient {
    const append = clientAppend((stream, events, options) => this.serveAppend(stream, events, options));
    return {
      appendToStream: append.appendToStream as EsdbClient['appendToStream'],
      hungAppends: append.hung,
      deleteStream: async (stream: string) => this.softDelete(stream),
      tombstoneStream: async (stream: string) => this.tombstone(stream),
      readStream: ((stream: string, read?: ReadStreamOptions) =>
        this.serveStreamRead(stream, read)) as unknown as EsdbClient['readStream'],
      readAll: ((read?: ReadAllOptions) => this.serveAllRead(read)) as unknown as EsdbClient['readAll'],
      subscribeToAll: jest.fn((options?: { fromPosition?: ReadPosition; filter?: Filter }) =>
        this.serveSubscription(options),
      ),
      dispose: async () => undefined,
    } as unknown as FakeClient;
  }

  private serveAppend(
    stream: string,
    events: EsdbEventData[],
    { expectedRevision = 'any' }: { expectedRevision?: AppendExpectedRevision },
  ): EsdbAppendResult {
    const options = this.options;
    if (options.denied?.(stream)) throw new AccessDeniedError();
    if (this.tombstoned.has(stream)) throw StreamDeletedError.fromStreamName(stream);
    const max = options.maxAppendSize ?? 1024 * 1024;
    if (this.appendSize(events) > max) throw MaxAppendSizeExceededError.fromMaxAppendSize(max);
    const current = this.revisionOf(stream);
    const ok =
      expectedRevision === 'any' ||
      (expectedRevision === 'no_stream' && current === undefined) ||
      (expectedRevision === 'stream_exists' && current !== undefined) ||
      expectedRevision === current;
    if (!ok)
      throw new WrongExpectedVersionError(
        undefined as never,
        {
          streamName: stream,
          current: current ?? 'no_stream',
          expected: expectedRevision,
        } as never,
      );
    // Stored as the server stores it: the bytes the client sent, read back as JSON.
    const positions = this.write(
      stream,
      events.map((e) => {
        const { data, metadata } = encodeLikeTheClient(e);
        return {
          type: e.type,
          id: e.id,
          data: JSON.parse(data) as unknown,
          metadata: metadata === undefined ? undefined : (JSON.parse(metadata) as unknown),
        };
      }),
    );
    return {
      success: true,
      nextExpectedRevision: this.revisionOf(stream)!,
      position: options.appendPositions === false ? undefined : positions.at(-1),
    } as EsdbAppendResult;
  }

  private async *serveStreamRead(stream: string, read: ReadStreamOptions = {}) {
    const options = this.options;
    if (options.denied?.(stream)) throw new AccessDeniedError();
    if (this.tombstoned.has(stream)) throw StreamDeletedError.fromStreamName(stream);
    const truncated = this.truncatedBefore.get(stream) ?? -1n;
    let events = this.records.filter(
      (r) =>
        r.resolved.event.streamId === stream &&
        !r.resolved.event.type.startsWith('$') &&
        r.resolved.event.revision >= truncated,
    );
    if (events.length === 0) throw new StreamNotFoundError(undefined as never, stream);
    const backwards = read.direction === 'backwards';
    if (backwards) events = [...events].reverse();
    const from = read.fromRevision;
    if (typeof from === 'bigint')
      events = events.filter((r) =>
        backwards ? r.resolved.event.revision <= from : r.resolved.event.revision >= from,
      );
    const count = read.maxCount === undefined ? events.length : Number(read.maxCount);
    for (const r of events.slice(0, count)) {
      yield options.streamReadPositions === false
        ? { event: { ...r.resolved.event, position: POSITION_END } }
        : { event: r.resolved.event, commitPosition: r.position.commit };
    }
  }

  private async *serveAllRead(read: ReadAllOptions = {}) {
    if (this.options.allDenied) throw new AccessDeniedError();
    yield* fakeAll(this.records.map((r) => r.resolved)).readAll(read);
  }

  private serveSubscription({
    fromPosition = 'start',
    filter,
  }: {
    fromPosition?: ReadPosition;
    filter?: Filter;
  } = {}) {
    this.subscribedFrom.push(fromPosition);
    const open = async () => {
      const serverSide = new ServerSubscription(this, fromPosition, filter);
      this.subscriptions.add(serverSide);
      // The server refuses on the call itself: the client has its listeners on by then.
      if (this.options.allDenied)
        setImmediate(() => serverSide.finish(grpcError(7, 'Access Denied', { exception: 'access-denied' })));
      return serverSide.grpc as never;
    };
    // The client's own transform, so buffering, back-pressure and signals are the library's.
    return new ClientSubscription<EsdbResolvedLike>(
      open,
      (e) => e as unknown as EsdbResolvedLike,
      {},
      filter?.checkpointReached as never,
    );
  }
}

export type FakeClient = EsdbClient & {
  hungAppends: unknown[];
  subscribeToAll: jest.Mock;
  deleteStream(streamId: string): Promise<void>;
  tombstoneStream(streamId: string): Promise<void>;
};

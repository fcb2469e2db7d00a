import {
  ANY,
  AccessDeniedError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  STREAM_EXISTS,
  StreamDeletedError as EsdbStreamDeletedError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { convertToCommandError } from '@eventstore/db-client/dist/utils/CommandError';
import * as domain from '../../domain';
import {
  AppendTooLargeError,
  EventStoreAccessDeniedError,
  EventStoreUnavailableError,
  START,
  StreamDeletedError,
  WrongExpectedRevisionError,
  comparePositions,
  decodePosition,
} from '../port';
import {
  APP_STREAM_PREFIXES,
  UnknownPositionError,
  actualRevisionFromEsdb,
  esdbEventId,
  esdbPositionOf,
  fromEsdbMetadata,
  isDeliverable,
  isSystemEvent,
  mapEsdbError,
  matchesFilter,
  positionFromEsdb,
  positionToEsdb,
  recordedAtFromEsdb,
  scopedStreamPrefixes,
  subscriptionDropReason,
  toEsdbEventData,
  toEsdbExpectedRevision,
  toEsdbFilter,
  toEsdbReadPosition,
  toRecordedEvent,
} from './esdb-mapping';
import {
  META,
  encodeLikeTheClient,
  grpcError,
  resolvedEvent,
  unplacedStreamRead,
} from '../../../test/support/esdb/fakes';
import { CANONICAL_UUID_PATTERN } from '../../shared/uuid';

describe('expected revisions', () => {
  it('maps an exact revision to a bigint and the states to the client constants', () => {
    expect(toEsdbExpectedRevision(0)).toBe(0n);
    expect(toEsdbExpectedRevision(41)).toBe(41n);
    expect(toEsdbExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toEsdbExpectedRevision('stream_exists')).toBe(STREAM_EXISTS);
    expect(toEsdbExpectedRevision('any')).toBe(ANY);
  });

  it('refuses a negative or fractional revision instead of sending it', () => {
    expect(() => toEsdbExpectedRevision(-1)).toThrow(RangeError);
    expect(() => toEsdbExpectedRevision(1.5)).toThrow(RangeError);
  });

  it('reads the actual revision as a number, null for a missing stream, undefined when unknown', () => {
    expect(actualRevisionFromEsdb(7n)).toBe(7);
    expect(actualRevisionFromEsdb(NO_STREAM)).toBeNull();
    expect(actualRevisionFromEsdb(-1n)).toBeNull();
    expect(actualRevisionFromEsdb(undefined)).toBeUndefined();
  });
});

describe('positions', () => {
  it('encodes commit as the high half and prepare as the low half', () => {
    expect(positionFromEsdb({ commit: 0x31an, prepare: 7n })).toBe('000000000000031a-0000000000000007');
    expect(positionToEsdb('000000000000031a-0000000000000007')).toEqual({ commit: 0x31an, prepare: 7n });
  });

  it('round-trips the full unsigned 64-bit range', () => {
    const max = 2n ** 64n - 1n;
    const position = positionFromEsdb({ commit: max, prepare: 2n ** 63n });
    expect(decodePosition(position)).toEqual({ high: max, low: 2n ** 63n });
  });

  it('orders encoded positions as the log orders commit then prepare', () => {
    const raw = [
      { commit: 10n, prepare: 10n },
      { commit: 2n ** 40n, prepare: 5n },
      { commit: 10n, prepare: 9n },
      { commit: 255n, prepare: 255n },
      { commit: 256n, prepare: 0n },
      { commit: 0n, prepare: 0n },
    ];
    const byLog = [...raw].sort((a, b) =>
      a.commit === b.commit ? Number(a.prepare - b.prepare) : a.commit < b.commit ? -1 : 1,
    );
    const byString = raw.map(positionFromEsdb).sort(comparePositions);
    expect(byString).toEqual(byLog.map(positionFromEsdb));
  });

  it("starts reads and subscriptions at the client's start for the port's START", () => {
    expect(toEsdbReadPosition(START)).toBe('start');
    expect(toEsdbReadPosition('0000000000000010-000000000000000f')).toEqual({ commit: 16n, prepare: 15n });
  });
});

describe('event data and metadata', () => {
  it('writes JSON with the metadata plus the $correlationId/$causationId EventStoreDB understands', () => {
    const data = toEsdbEventData({
      eventId: '0190a6f1-0000-7000-8000-000000000001',
      type: 'A',
      data: { x: 1 },
      metadata: META,
    });
    expect(data).toEqual({
      id: '0190a6f1-0000-7000-8000-000000000001',
      contentType: 'application/json',
      type: 'A',
      data: { x: 1 },
      metadata: { ...META, $correlationId: 'corr-1', $causationId: 'cause-1' },
    });
  });

  it('round-trips every metadata field through the stored JSON, a null actor included', () => {
    const meta = { ...META, actorId: null, schemaVersion: 3 };
    const stored = JSON.parse(
      JSON.stringify(toEsdbEventData({ type: 'A', data: {}, metadata: meta }).metadata),
    );
    expect(fromEsdbMetadata(stored, new Date())).toEqual(meta);
  });

  it('gives foreign events without metadata neutral defaults', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    const expected = {
      actorId: null,
      correlationId: '',
      causationId: '',
      commandId: '',
      schemaVersion: 1,
      occurredAt: at.toISOString(),
    };
    expect(fromEsdbMetadata(undefined, at)).toEqual(expected);
    expect(fromEsdbMetadata(new Uint8Array([1, 2]), at)).toEqual(expected);
    expect(fromEsdbMetadata({ $correlationId: 'c' }, at).correlationId).toBe('c');
  });

  it('generates a UUID when no event id is given and keeps a lower-case UUID as it is', () => {
    expect(esdbEventId(undefined).id).toMatch(CANONICAL_UUID_PATTERN);
    expect(esdbEventId('0190a6f1-0000-7000-8000-000000000001')).toEqual({
      id: '0190a6f1-0000-7000-8000-000000000001',
    });
  });

  it('maps any other id to a stable UUID and reads the original back', () => {
    const mapped = esdbEventId('order-42');
    expect(mapped.id).toMatch(CANONICAL_UUID_PATTERN);
    expect(esdbEventId('order-42').id).toBe(mapped.id);
    expect(esdbEventId('order-43').id).not.toBe(mapped.id);
    expect(esdbEventId('0190A6F1-0000-7000-8000-00000000000A')).toEqual({
      id: '0190a6f1-0000-7000-8000-00000000000a',
      original: '0190A6F1-0000-7000-8000-00000000000A',
    });

    const written = toEsdbEventData({ eventId: 'order-42', type: 'A', data: {}, metadata: META });
    const read = toRecordedEvent(resolvedEvent(5, { id: written.id, metadata: written.metadata }));
    expect(read?.eventId).toBe('order-42');
    expect(read?.metadata).toEqual(META);
  });

  it('stores undefined data as null (the client would send nothing)', () => {
    expect(toEsdbEventData({ type: 'A', data: undefined, metadata: META }).data).toBeNull();
  });

  it('refuses at once, naming the event, data the client could not encode (it would never settle the append)', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const where = { streamId: 'issue-1', index: 1 };
    expect(() => toEsdbEventData({ type: 'A', data: { n: 1n }, metadata: META }, where)).toThrow(
      /the data of event 1 \(A\) for stream issue-1 cannot be stored as JSON: .*BigInt/,
    );
    expect(() => toEsdbEventData({ type: 'A', data: circular, metadata: META }, where)).toThrow(TypeError);
    expect(() => toEsdbEventData({ type: 'A', data: () => 1, metadata: META }, where)).toThrow(
      /cannot be stored as JSON: it is a function/,
    );
    expect(() =>
      toEsdbEventData({ type: 'A', data: {}, metadata: { ...META, extra: 2n } as never }, where),
    ).toThrow(/the metadata of event 1 \(A\)/);
  });

  it('hands the client plain JSON that it encodes to the same text', () => {
    const data = { when: new Date('2026-11-24T10:00:00.000Z'), list: [1, 'two', null], skip: undefined };
    const event = toEsdbEventData({ type: 'A', data, metadata: META });
    expect(encodeLikeTheClient(event).data).toBe(JSON.stringify(data));
    expect(event.data).toEqual({ when: '2026-11-24T10:00:00.000Z', list: [1, 'two', null] });
  });
});

describe('recorded events', () => {
  it('maps revision, position, data, metadata and the recording time', () => {
    const resolved = resolvedEvent(0x20, { revision: 3n, streamId: 'project-9', type: 'ProjectCreated' });
    expect(toRecordedEvent(resolved)).toEqual({
      eventId: resolved.event.id,
      streamId: 'project-9',
      revision: 3,
      position: '0000000000000020-0000000000000020',
      type: 'ProjectCreated',
      data: { n: 0x20 },
      metadata: META,
      recordedAt: new Date('2026-11-24T10:00:01.000Z'),
    });
  });

  it('refuses an event whose position the server reported as Position.End, in the shape the client gives it', () => {
    // A stream read of a server before 22.6: the client turns the server's "no position" into ffff…/ffff….
    const read = unplacedStreamRead(resolvedEvent(9, { streamId: 'issue-7', revision: 4n }));
    expect(read.event.position).toEqual({ commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n });
    expect(esdbPositionOf(read)).toBeUndefined();
    expect(() => toRecordedEvent(read)).toThrow(UnknownPositionError);
    expect(() => toRecordedEvent(read)).toThrow(/event 4 of stream issue-7.*22\.10 or later/);
  });

  it('takes a position the adapter found in $all for an event the server did not place', () => {
    const read = unplacedStreamRead(resolvedEvent(9));
    expect(toRecordedEvent(read, '0000000000000009-0000000000000009')?.position).toBe(
      '0000000000000009-0000000000000009',
    );
  });

  it('takes the commit position of a $all read when the event itself carries Position.End', () => {
    const resolved = { ...unplacedStreamRead(resolvedEvent(9)), commitPosition: 9n };
    expect(toRecordedEvent(resolved)?.position).toBe('0000000000000009-0000000000000009');
  });

  it('reads nothing from an unresolved link', () => {
    expect(toRecordedEvent({ commitPosition: 4n })).toBeNull();
  });

  it('accepts the recording time as a Date or as .NET ticks', () => {
    const ms = Date.UTC(2026, 10, 24, 10, 0, 1);
    const ticks = BigInt(ms) * 10_000n;
    expect(recordedAtFromEsdb(new Date(ms)).getTime()).toBe(ms);
    expect(recordedAtFromEsdb(ticks).getTime()).toBe(ms);
    expect(recordedAtFromEsdb(Number(ticks)).getTime()).toBe(ms);
  });
});

describe('system events and filters', () => {
  it('treats $-types and $-streams as system events', () => {
    expect(isSystemEvent({ streamId: '$stats-127.0.0.1:2113', type: '$statsCollected' })).toBe(true);
    expect(isSystemEvent({ streamId: '$ce-issue', type: '$>' })).toBe(true);
    expect(isSystemEvent({ streamId: '$$issue-1', type: '$metadata' })).toBe(true);
    expect(isSystemEvent({ streamId: 'issue-1', type: '$>' })).toBe(true);
    expect(isSystemEvent({ streamId: '$settings', type: 'Anything' })).toBe(true);
    expect(isSystemEvent({ streamId: 'issue-1', type: 'IssueCreated' })).toBe(false);
  });

  it('matches stream-name or event-type prefixes, and everything without prefixes', () => {
    const e = { streamId: 'issue-1', type: 'IssueCreated' };
    expect(matchesFilter(e, { on: 'streamName', prefixes: ['project-', 'issue-'] })).toBe(true);
    expect(matchesFilter(e, { on: 'streamName', prefixes: ['project-'] })).toBe(false);
    expect(matchesFilter(e, { on: 'eventType', prefixes: ['Issue'] })).toBe(true);
    expect(matchesFilter(e, { on: 'eventType', prefixes: ['Project'] })).toBe(false);
    expect(matchesFilter(e, { on: 'eventType', prefixes: [] })).toBe(true);
    expect(matchesFilter(e, undefined)).toBe(true);
  });

  it('never delivers a system event, even one matching the prefixes', () => {
    expect(isDeliverable({ streamId: '$ce-issue', type: '$>' }, { on: 'eventType', prefixes: ['$'] })).toBe(
      false,
    );
    expect(isDeliverable({ streamId: 'issue-1', type: 'IssueCreated' }, undefined)).toBe(true);
  });

  it("scopes the whole log to the application's streams: the categories the domain writes", () => {
    expect(APP_STREAM_PREFIXES).toEqual(['organization-', 'project-', 'issue-', 'user-', 'admin-']);
    // Every stream-name builder of the domain names a stream in scope, so a new category cannot be forgotten.
    const builders = Object.entries(domain).filter(
      ([name, value]) => name.endsWith('Stream') && typeof value === 'function',
    ) as Array<[string, (id: string) => string]>;
    expect(builders.length).toBeGreaterThanOrEqual(4);
    for (const [, build] of builders)
      expect(
        APP_STREAM_PREFIXES.some((prefix) =>
          build('0190a6f1-0000-7000-8000-000000000001').startsWith(prefix),
        ),
      ).toBe(true);
  });

  it('never delivers an event outside the scope, whatever its type', () => {
    const scope = APP_STREAM_PREFIXES;
    expect(isDeliverable({ streamId: 'billing-1', type: 'IssueCreated' }, undefined, scope)).toBe(false);
    expect(isDeliverable({ streamId: 'issue-1', type: 'IssueCreated' }, undefined, scope)).toBe(true);
    expect(
      isDeliverable(
        { streamId: 'issue-1', type: 'IssueCreated' },
        { on: 'eventType', prefixes: ['Project'] },
        scope,
      ),
    ).toBe(false);
    expect(isDeliverable({ streamId: 'issue-1', type: '$streamDeleted' }, undefined, scope)).toBe(false);
  });

  it('narrows stream-name filters to the scope', () => {
    expect(scopedStreamPrefixes(['issue-', 'project-'], ['issue-12'])).toEqual(['issue-12']);
    expect(scopedStreamPrefixes(['issue-', 'project-'], ['i'])).toEqual(['issue-']);
    expect(scopedStreamPrefixes(['issue-'], ['billing-'])).toEqual([]);
  });

  it("filters a subscription on the server by the application's streams, narrowed by a stream-name filter", () => {
    const scope = ['issue-', 'project-'];
    expect(toEsdbFilter(undefined, undefined, scope)).toMatchObject({
      filterOn: 'streamName',
      prefixes: ['issue-', 'project-'],
    });
    expect(toEsdbFilter({ on: 'streamName', prefixes: ['issue-9'] }, undefined, scope)).toMatchObject({
      filterOn: 'streamName',
      prefixes: ['issue-9'],
    });
    // One expression per subscription: an event-type filter is applied in process, the scope on the server.
    expect(toEsdbFilter({ on: 'eventType', prefixes: ['Issue'] }, undefined, scope)).toMatchObject({
      filterOn: 'streamName',
      prefixes: ['issue-', 'project-'],
    });
  });

  it('excludes system events on the server when there is no prefix filter', () => {
    expect(toEsdbFilter(undefined)).toMatchObject({ filterOn: 'eventType', regex: '^[^$].*' });
    expect(toEsdbFilter({ on: 'streamName', prefixes: [] })).toMatchObject({
      filterOn: 'eventType',
      regex: '^[^$].*',
    });
  });

  it('maps prefix filters to the server-side stream-name and event-type filters', () => {
    const checkpointReached = jest.fn();
    expect(toEsdbFilter({ on: 'streamName', prefixes: ['issue-'] }, checkpointReached)).toEqual({
      filterOn: 'streamName',
      prefixes: ['issue-'],
      checkpointInterval: 1,
      checkpointReached,
    });
    expect(toEsdbFilter({ on: 'eventType', prefixes: ['Issue', 'Project'] })).toMatchObject({
      filterOn: 'eventType',
      prefixes: ['Issue', 'Project'],
    });
  });
});

describe('errors', () => {
  it("maps the client's WrongExpectedVersionError with what was expected and the actual revision", () => {
    const error = new WrongExpectedVersionError(undefined, {
      streamName: 'issue-1',
      expected: 1n,
      current: 2n,
    });
    const mapped = mapEsdbError(error, { streamId: 'issue-1', expected: 1 });
    expect(mapped).toBeInstanceOf(WrongExpectedRevisionError);
    expect(mapped).toMatchObject({ streamId: 'issue-1', expected: 1, actual: 2, cause: error });
  });

  it('reports a missing stream as actual null', () => {
    const error = new WrongExpectedVersionError(undefined, {
      streamName: 'issue-1',
      expected: 0n,
      current: NO_STREAM,
    });
    expect(mapEsdbError(error, { streamId: 'issue-1', expected: 0 })).toMatchObject({ actual: null });
  });

  it('takes the stream and expectation from the error when the caller gives none', () => {
    const error = new WrongExpectedVersionError(undefined, {
      streamName: 'issue-2',
      expected: STREAM_EXISTS,
      current: NO_STREAM,
    });
    expect(mapEsdbError(error)).toMatchObject({
      streamId: 'issue-2',
      expected: 'stream_exists',
      actual: null,
    });
  });

  it('maps a lookalike without an actual version to actual undefined', () => {
    const lookalike = Object.assign(new Error('wrong expected version'), {
      type: 'wrong-expected-version',
      streamName: 'issue-3',
      expectedVersion: 4n,
    });
    const mapped = mapEsdbError(lookalike, { streamId: 'issue-3', expected: 4 });
    expect(mapped).toBeInstanceOf(WrongExpectedRevisionError);
    expect((mapped as WrongExpectedRevisionError).actual).toBeUndefined();
  });

  it('maps a plain gRPC "14 UNAVAILABLE" error to EventStoreUnavailableError', () => {
    const grpc = Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
      code: 14,
      details: 'No connection established',
    });
    const mapped = mapEsdbError(grpc);
    expect(mapped).toBeInstanceOf(EventStoreUnavailableError);
    expect((mapped as Error).cause).toBe(grpc);
    expect(mapEsdbError(Object.assign(new Error('deadline'), { code: 4 }))).toBeInstanceOf(
      EventStoreUnavailableError,
    );
    expect(mapEsdbError(new Error('Failed to discover after 10 attempts.'))).toBeInstanceOf(
      EventStoreUnavailableError,
    );
  });

  it('matches unavailability by type and gRPC code, never by the word in a message (a stream may be named so)', () => {
    const named = new Error('stream UNAVAILABLE-orders DEADLINE_EXCEEDED: boom');
    expect(mapEsdbError(named)).toBe(named);
    const precondition = grpcError(9, 'Event stream UNAVAILABLE-1 is deleted.');
    expect(mapEsdbError(precondition)).toBe(precondition);
    const unknown = new UnknownError(undefined, 'Could not recognize 14 UNAVAILABLE in issue-UNAVAILABLE');
    expect(mapEsdbError(unknown)).toBe(unknown);
    expect(mapEsdbError(new Error('stream failed to discover after 3 attempts'))).not.toBeInstanceOf(
      EventStoreUnavailableError,
    );
  });

  it("maps a deleted stream to the port's StreamDeletedError naming the stream", () => {
    const fromBatch = EsdbStreamDeletedError.fromStreamName('issue-1');
    expect(mapEsdbError(fromBatch, { streamId: 'issue-1' })).toBeInstanceOf(StreamDeletedError);
    expect(mapEsdbError(fromBatch, { streamId: 'issue-1' })).toMatchObject({
      streamId: 'issue-1',
      message: 'stream issue-1 was deleted for good and cannot be written again',
    });
    // What the plain append gets: the server's RpcException, converted by the client.
    const converted = convertToCommandError(
      grpcError(9, 'Event stream issue-UNAVAILABLE is deleted.', {
        exception: 'stream-deleted',
        'stream-name': 'issue-UNAVAILABLE',
      }) as never,
    );
    expect(mapEsdbError(converted)).toMatchObject({
      name: 'StreamDeletedError',
      streamId: 'issue-UNAVAILABLE',
    });
  });

  it("maps an oversized append to AppendTooLargeError with the server's limit", () => {
    const error = MaxAppendSizeExceededError.fromMaxAppendSize(1_048_576);
    const mapped = mapEsdbError(error, { streamId: 'issue-1' });
    expect(mapped).toBeInstanceOf(AppendTooLargeError);
    expect(mapped).toMatchObject({ streamId: 'issue-1', maxBytes: 1_048_576, cause: error });
    expect((mapped as Error).message).toMatch(/1048576 bytes/);
  });

  it('maps a refusal to EventStoreAccessDeniedError saying what was refused and which rights are needed', () => {
    const mapped = mapEsdbError(new AccessDeniedError(), { operation: 'reading $all' });
    expect(mapped).toBeInstanceOf(EventStoreAccessDeniedError);
    expect((mapped as Error).message).toMatch(/refused reading \$all .*read on \$all/);
    expect(mapEsdbError(new AccessDeniedError(), { streamId: 'issue-1' })).toMatchObject({
      message: expect.stringMatching(/refused access to stream issue-1/),
    });
  });

  it('tells the subscription drops it can recover from (too slow, unavailable) from the rest', () => {
    expect(subscriptionDropReason(new TimeoutError())).toBe('aborted');
    expect(subscriptionDropReason(grpcError(10, 'Operation timed out'))).toBe('aborted');
    expect(subscriptionDropReason(new UnavailableError())).toBe('unavailable');
    expect(subscriptionDropReason(grpcError(14, 'No connection established'))).toBe('unavailable');
    expect(subscriptionDropReason(new AccessDeniedError())).toBeUndefined();
    expect(subscriptionDropReason(new Error('14 UNAVAILABLE in a name'))).toBeUndefined();
  });

  it("maps the client's UnavailableError and DeadlineExceededError", () => {
    expect(mapEsdbError(new UnavailableError())).toBeInstanceOf(EventStoreUnavailableError);
    expect(mapEsdbError(new DeadlineExceededError())).toBeInstanceOf(EventStoreUnavailableError);
  });

  it("leaves errors already in the port's terms as they are", () => {
    const mapped = new EventStoreUnavailableError('EventStoreDB is unavailable: 14 UNAVAILABLE');
    expect(mapEsdbError(mapped)).toBe(mapped);
  });

  it('leaves other errors as they are', () => {
    const notFound = new StreamNotFoundError(undefined, 'issue-1');
    const other = new TypeError('boom');
    expect(mapEsdbError(notFound)).toBe(notFound);
    expect(mapEsdbError(other)).toBe(other);
  });
});

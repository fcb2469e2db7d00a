import {
  ANY,
  DeadlineExceededError,
  NO_STREAM,
  STREAM_EXISTS,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  EventStoreUnavailableError,
  START,
  WrongExpectedRevisionError,
  comparePositions,
  decodePosition,
} from '../port';
import {
  actualRevisionFromEsdb,
  esdbEventId,
  fromEsdbMetadata,
  isDeliverable,
  isSystemEvent,
  mapEsdbError,
  matchesFilter,
  positionFromEsdb,
  positionToEsdb,
  recordedAtFromEsdb,
  toEsdbEventData,
  toEsdbExpectedRevision,
  toEsdbFilter,
  toEsdbReadPosition,
  toRecordedEvent,
} from './esdb-mapping';
import { META, resolvedEvent } from './testing/fakes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
    expect(esdbEventId(undefined).id).toMatch(UUID);
    expect(esdbEventId('0190a6f1-0000-7000-8000-000000000001')).toEqual({
      id: '0190a6f1-0000-7000-8000-000000000001',
    });
  });

  it('maps any other id to a stable UUID and reads the original back', () => {
    const mapped = esdbEventId('order-42');
    expect(mapped.id).toMatch(UUID);
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

  it('falls back to the commit position when the server leaves the event position out', () => {
    const resolved = resolvedEvent(9);
    delete resolved.event.position;
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
    expect(mapEsdbError(new Error('14 UNAVAILABLE: read ECONNRESET'))).toBeInstanceOf(
      EventStoreUnavailableError,
    );
    expect(mapEsdbError(Object.assign(new Error('deadline'), { code: 4 }))).toBeInstanceOf(
      EventStoreUnavailableError,
    );
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

import { setTimeout as delay } from 'node:timers/promises';
import {
  AccessDeniedError,
  MaxAppendSizeExceededError,
  type ReadAllOptions,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  AppendTooLargeError,
  type EventData,
  EventStoreAccessDeniedError,
  EventStoreUnavailableError,
  type Position,
  StreamDeletedError as PortStreamDeletedError,
  type RecordedEvent,
  START,
  WrongExpectedRevisionError,
} from '../port';
import { createEsdbEventStore, toEsdbConnectionString } from './esdb-event-store';
import { positionFromEsdb } from './esdb-mapping';
import {
  FakeSubscription,
  META,
  POSITION_END,
  asClient,
  fakeAll,
  resolvedEvent,
  streamingRead,
  stubClient,
  tick,
  unplacedStreamRead,
} from '../../../test/support/esdb/fakes';

const pos = (n: number): Position => positionFromEsdb({ commit: BigInt(n), prepare: BigInt(n) });
const event = (type: string, eventId?: string): EventData => ({
  type,
  data: { type },
  metadata: META,
  ...(eventId ? { eventId } : {}),
});
const unavailable = () =>
  Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
    code: 14,
    details: 'No connection established',
  });
const upcast = (e: RecordedEvent): RecordedEvent => ({ ...e, data: { upcast: true, was: e.data } });
/** A client whose appends succeed with this next revision, at this commit (= prepare) position. */
const appending = (nextExpectedRevision: bigint, at: bigint) =>
  stubClient({
    appendToStream: async () => ({
      success: true,
      nextExpectedRevision,
      position: { commit: at, prepare: at },
    }),
  });

describe('the EventStoreDB event store with a stubbed client', () => {
  describe('appendToStream', () => {
    it('sends JSON events with ids and the mapped expectation, and returns revision and position', async () => {
      const stub = appending(4n, 0x31an);
      const store = createEsdbEventStore(asClient(stub));
      const result = await store.appendToStream(
        'issue-1',
        [event('A', '0190a6f1-0000-7000-8000-000000000001'), event('B')],
        {
          expectedRevision: 2,
        },
      );

      expect(result).toEqual({ nextRevision: 4, position: '000000000000031a-000000000000031a' });
      const [stream, sent, options] = stub.appendToStream.mock.calls[0] as unknown as [
        string,
        unknown[],
        unknown,
      ];
      expect(stream).toBe('issue-1');
      expect(options).toEqual({ expectedRevision: 2n });
      expect(sent).toEqual([
        expect.objectContaining({
          id: '0190a6f1-0000-7000-8000-000000000001',
          contentType: 'application/json',
          type: 'A',
        }),
        expect.objectContaining({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          type: 'B',
          data: { type: 'B' },
        }),
      ]);
    });

    it.each([
      ['no_stream', 'no_stream'],
      ['stream_exists', 'stream_exists'],
      ['any', 'any'],
      [undefined, 'any'],
    ] as const)('sends expectation %s as %s', async (expected, sentAs) => {
      const stub = appending(0n, 1n);
      await createEsdbEventStore(asClient(stub)).appendToStream(
        's',
        [event('A')],
        expected ? { expectedRevision: expected } : {},
      );
      expect(stub.appendToStream.mock.calls[0]).toEqual([
        's',
        expect.any(Array),
        { expectedRevision: sentAs },
      ]);
    });

    it('turns WrongExpectedVersionError into WrongExpectedRevisionError with the actual revision', async () => {
      const stub = stubClient({
        appendToStream: async () => {
          throw new WrongExpectedVersionError(undefined, {
            streamName: 'issue-1',
            expected: 1n,
            current: 2n,
          });
        },
      });
      const error = await createEsdbEventStore(asClient(stub))
        .appendToStream('issue-1', [event('D')], { expectedRevision: 1 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ streamId: 'issue-1', expected: 1, actual: 2 });
    });

    it('reports a refused append of a client built with throwOnAppendFailure: false', async () => {
      const stub = stubClient({
        appendToStream: async () => ({ success: false, nextExpectedRevision: -1n }),
      });
      const error = await createEsdbEventStore(asClient(stub))
        .appendToStream('issue-1', [event('A')], { expectedRevision: 0 })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'WrongExpectedRevisionError', expected: 0, actual: null });
    });

    it('turns a plain gRPC UNAVAILABLE error into EventStoreUnavailableError', async () => {
      const stub = stubClient({
        appendToStream: async () => {
          throw unavailable();
        },
      });
      await expect(
        createEsdbEventStore(asClient(stub)).appendToStream('s', [event('A')]),
      ).rejects.toBeInstanceOf(EventStoreUnavailableError);
    });

    it('refuses at once an event the client could not encode, where the client would never answer', async () => {
      const stub = appending(0n, 1n);
      const store = createEsdbEventStore(asClient(stub));
      const outcome = await Promise.race([
        store.appendToStream('issue-1', [event('A'), { type: 'B', data: { big: 10n }, metadata: META }]).then(
          () => 'appended',
          (error: unknown) => error,
        ),
        delay(1000, 'still pending'),
      ]);
      expect(outcome).toBeInstanceOf(TypeError);
      expect((outcome as Error).message).toMatch(/event 1 \(B\) for stream issue-1 cannot be stored as JSON/);
      expect(stub.hungAppends).toEqual([]);
      expect(stub.appendToStream).not.toHaveBeenCalled();
    });

    it.each([
      ['a deleted stream', () => StreamDeletedError.fromStreamName('issue-1'), PortStreamDeletedError],
      ['an oversized append', () => MaxAppendSizeExceededError.fromMaxAppendSize(1024), AppendTooLargeError],
      ['a refusal', () => new AccessDeniedError(), EventStoreAccessDeniedError],
    ] as const)("turns %s into the port's error", async (_what, error, expected) => {
      const stub = stubClient({
        appendToStream: async () => {
          throw error();
        },
      });
      const failure = await createEsdbEventStore(asClient(stub))
        .appendToStream('issue-1', [event('A')])
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(expected);
      expect((failure as Error).message).toMatch(/issue-1/);
    });

    it('never answers Position.End: an append the server placed nowhere is found in $all', async () => {
      const stub = stubClient({
        appendToStream: async () => ({ success: true, nextExpectedRevision: 0n, position: POSITION_END }),
        readAll: (options: ReadAllOptions) =>
          fakeAll([
            resolvedEvent(40, { id: '0190a6f1-0000-7000-8000-0000000000aa', streamId: 'issue-1' }),
            resolvedEvent(41, { streamId: '$stats', type: '$statsCollected' }),
          ]).readAll(options),
      });
      const result = await createEsdbEventStore(asClient(stub)).appendToStream('issue-1', [
        event('A', '0190a6f1-0000-7000-8000-0000000000aa'),
      ]);
      expect(result.position).toBe(pos(40));
    });

    it('checks the expectation of an empty append by reading, without appending', async () => {
      const stub = stubClient({
        readStream: (_stream: string, options: { direction?: string }) =>
          options.direction === 'backwards'
            ? streamingRead([resolvedEvent(40, { revision: 3n })])
            : streamingRead([]),
      });
      const store = createEsdbEventStore(asClient(stub));
      expect(await store.appendToStream('issue-1', [], { expectedRevision: 3 })).toEqual({
        nextRevision: 3,
        position: pos(40),
      });
      await expect(
        store.appendToStream('issue-1', [], { expectedRevision: 'no_stream' }),
      ).rejects.toMatchObject({
        actual: 3,
      });
      expect(stub.appendToStream).not.toHaveBeenCalled();
    });
  });

  describe('appending on the condition that other streams are unchanged', () => {
    it('reads each named stream just before the append, and appends when all are where they were', async () => {
      const stub = stubClient({
        readStream: (streamId: string) =>
          streamId === 'organization-1'
            ? streamingRead([resolvedEvent(9, { revision: 4n })])
            : streamingRead([], new StreamNotFoundError(undefined, streamId)),
        appendToStream: async () => ({ success: true, nextExpectedRevision: 0n, position: POSITION_END }),
      });
      await createEsdbEventStore(asClient(stub))
        .appendToStream('issue-1', [event('A')], {
          expectedRevision: 'no_stream',
          unchanged: [
            { streamId: 'organization-1', revision: 4 },
            { streamId: 'project-1', revision: -1 },
          ],
        })
        .catch(() => undefined); // the position lookup after it is not what this test is about
      expect(stub.readStream.mock.calls.slice(0, 2).map((c) => c[0])).toEqual([
        'organization-1',
        'project-1',
      ]);
      expect(stub.appendToStream).toHaveBeenCalledTimes(1);
    });

    it('refuses without appending when a named stream moved, naming it', async () => {
      const stub = stubClient({
        readStream: () => streamingRead([resolvedEvent(9, { revision: 5n })]),
        appendToStream: async () => ({ success: true, nextExpectedRevision: 0n, position: POSITION_END }),
      });
      const error = await createEsdbEventStore(asClient(stub))
        .appendToStream('issue-1', [event('A')], {
          expectedRevision: 'no_stream',
          unchanged: [{ streamId: 'organization-1', revision: 4 }],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ streamId: 'organization-1', expected: 4, actual: 5 });
      expect(stub.appendToStream).not.toHaveBeenCalled();
    });
  });

  describe('readStream and streamRevision', () => {
    it('passes direction, start revision and count, and upcasts what it reads', async () => {
      const stub = stubClient({
        readStream: () =>
          streamingRead([resolvedEvent(30, { revision: 2n }), resolvedEvent(20, { revision: 1n })]),
      });
      const store = createEsdbEventStore(asClient(stub), { upcast });
      const events = await store.readStream('issue-1', {
        direction: 'backwards',
        fromRevision: 2,
        maxCount: 2,
      });
      expect(stub.readStream.mock.calls[0]).toEqual([
        'issue-1',
        { direction: 'backwards', fromRevision: 2n, maxCount: 2 },
      ]);
      expect(events.map((e) => [e.revision, e.position])).toEqual([
        [2, pos(30)],
        [1, pos(20)],
      ]);
      expect(events[0]!.data).toEqual({ upcast: true, was: { n: 30 } });
    });

    it('reads forwards from the start and backwards from the end by default', async () => {
      const stub = stubClient({ readStream: () => streamingRead([]) });
      const store = createEsdbEventStore(asClient(stub));
      await store.readStream('s');
      await store.readStream('s', { direction: 'backwards' });
      expect(stub.readStream.mock.calls.map((c) => c[1])).toEqual([
        { direction: 'forwards', fromRevision: 'start' },
        { direction: 'backwards', fromRevision: 'end' },
      ]);
    });

    it('reads a missing stream as empty and its revision as null', async () => {
      const stub = stubClient({
        readStream: () => streamingRead([], new StreamNotFoundError(undefined, 'nope')),
      });
      const store = createEsdbEventStore(asClient(stub));
      expect(await store.readStream('nope')).toEqual([]);
      expect(await store.streamRevision('nope')).toBeNull();
    });

    it('gives the revision of the last event', async () => {
      const stub = stubClient({ readStream: () => streamingRead([resolvedEvent(9, { revision: 6n })]) });
      expect(await createEsdbEventStore(asClient(stub)).streamRevision('s')).toBe(6);
      expect(stub.readStream.mock.calls[0]![1]).toEqual({
        direction: 'backwards',
        fromRevision: 'end',
        maxCount: 1,
      });
    });

    it('takes the $all position of events a server before 22.6 read from a stream as Position.End', async () => {
      const recent = resolvedEvent(70, { revision: 1n });
      const stub = stubClient({
        readStream: () => streamingRead([unplacedStreamRead(recent)]),
        readAll: fakeAll([resolvedEvent(60), recent, resolvedEvent(80, { streamId: 'project-1' })]).readAll,
      });
      const [read] = await createEsdbEventStore(asClient(stub)).readStream('issue-1');
      expect(read!.position).toBe(pos(70));
    });

    it('refuses clearly, rather than answer ffff…, an event whose position it cannot find', async () => {
      const old = resolvedEvent(5, { revision: 0n });
      const stub = stubClient({
        readStream: () => streamingRead([unplacedStreamRead(old)]),
        readAll: fakeAll(Array.from({ length: 50 }, (_, i) => resolvedEvent(100 + i))).readAll,
      });
      const store = createEsdbEventStore(asClient(stub), { positionSearchLimit: 20 });
      await expect(store.readStream('issue-1')).rejects.toThrow(/EventStoreDB 22\.10 or later/);
      // The revision needs no position.
      expect(await store.streamRevision('issue-1')).toBe(0);
    });

    it("pings with a read of one of the application's streams, which needs no rights on $all", async () => {
      const stub = stubClient({
        readStream: () => streamingRead([], new StreamNotFoundError(undefined, 'x')),
      });
      await createEsdbEventStore(asClient(stub)).ping();
      expect(stub.readAll).not.toHaveBeenCalled();
      expect(stub.readStream.mock.calls[0]![0]).toMatch(/^organization-/);

      const refused = stubClient({ readStream: () => streamingRead([], new AccessDeniedError()) });
      await expect(createEsdbEventStore(asClient(refused)).ping()).rejects.toBeInstanceOf(
        EventStoreAccessDeniedError,
      );
    });

    it('maps a failing read to EventStoreUnavailableError', async () => {
      const stub = stubClient({ readStream: () => streamingRead([], unavailable()) });
      await expect(createEsdbEventStore(asClient(stub)).readStream('s')).rejects.toBeInstanceOf(
        EventStoreUnavailableError,
      );
    });
  });

  describe('readAll and headPosition', () => {
    const log = [
      resolvedEvent(10, { type: '$epoch-information', streamId: '$epoch-information' }),
      resolvedEvent(20, { type: 'A', streamId: 'issue-1' }),
      resolvedEvent(30, { type: '$metadata', streamId: '$$issue-1' }),
      resolvedEvent(40, { type: 'B', streamId: 'project-1' }),
      resolvedEvent(50, { type: '$>', streamId: '$ce-issue' }),
      resolvedEvent(60, { type: 'C', streamId: 'issue-2' }),
      resolvedEvent(70, { type: '$statsCollected', streamId: '$stats-node' }),
    ];

    it('reads the log after an exclusive position, without system events, upcasted', async () => {
      const all = fakeAll(log);
      const store = createEsdbEventStore(asClient(stubClient({ readAll: all.readAll })), { upcast });
      expect((await store.readAll()).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      expect((await store.readAll({ fromPosition: pos(40) })).map((e) => e.type)).toEqual(['C']);
      expect((await store.readAll())[0]!.data).toEqual({ upcast: true, was: { n: 20 } });
      expect(all.calls[0]).toMatchObject({ direction: 'forwards', fromPosition: 'start' });
      expect(all.calls[1]).toMatchObject({ fromPosition: { commit: 40n, prepare: 40n } });
    });

    it("reads only the application's streams, whatever shares the log", async () => {
      const shared = [
        resolvedEvent(10, { type: 'IssueCreated', streamId: 'issue-1' }),
        resolvedEvent(20, { type: 'IssueCreated', streamId: 'billing-1' }),
        resolvedEvent(30, { type: 'IssueCreated', streamId: 'issues-elsewhere-1' }),
      ];
      const store = createEsdbEventStore(asClient(stubClient({ readAll: fakeAll(shared).readAll })));
      expect((await store.readAll()).map((e) => e.streamId)).toEqual(['issue-1']);
      expect(await store.headPosition()).toBe(pos(10));
      const other = createEsdbEventStore(asClient(stubClient({ readAll: fakeAll(shared).readAll })), {
        streamPrefixes: ['billing-'],
      });
      expect((await other.readAll()).map((e) => e.streamId)).toEqual(['billing-1']);
    });

    it('filters by stream-name and event-type prefixes in process', async () => {
      const store = createEsdbEventStore(asClient(stubClient({ readAll: fakeAll(log).readAll })));
      const byStream = await store.readAll({ filter: { on: 'streamName', prefixes: ['issue-'] } });
      expect(byStream.map((e) => e.type)).toEqual(['A', 'C']);
      const byType = await store.readAll({ filter: { on: 'eventType', prefixes: ['B', '$'] } });
      expect(byType.map((e) => e.type)).toEqual(['B']);
    });

    it('pages through the log until it has maxCount events', async () => {
      const many = Array.from({ length: 2500 }, (_, i) =>
        resolvedEvent(
          i + 1,
          i % 2 ? { type: 'Even', streamId: 'issue-1' } : { type: '$>', streamId: '$ce-x' },
        ),
      );
      const all = fakeAll(many);
      const store = createEsdbEventStore(asClient(stubClient({ readAll: all.readAll })));
      const events = await store.readAll({ maxCount: 1100, filter: { on: 'eventType', prefixes: ['Even'] } });
      expect(events).toHaveLength(1100);
      expect(new Set(events.map((e) => e.position)).size).toBe(1100);
      expect(events.at(-1)!.position).toBe(pos(2200));
      expect(all.calls.length).toBeGreaterThan(1);
      expect((await store.readAll({ fromPosition: pos(1), maxCount: 2 })).map((e) => e.position)).toEqual([
        pos(2),
        pos(4),
      ]);
    });

    it('gives the position of the last non-system event as the head, or START', async () => {
      const all = fakeAll(log);
      expect(await createEsdbEventStore(asClient(stubClient({ readAll: all.readAll }))).headPosition()).toBe(
        pos(60),
      );
      expect(all.calls[0]).toMatchObject({ direction: 'backwards', fromPosition: 'end' });

      const systemOnly = fakeAll(
        Array.from({ length: 600 }, (_, i) => resolvedEvent(i + 1, { streamId: '$s', type: '$t' })),
      );
      expect(
        await createEsdbEventStore(asClient(stubClient({ readAll: systemOnly.readAll }))).headPosition(),
      ).toBe(START);
      expect(systemOnly.calls.length).toBeGreaterThan(1);
    });
  });

  describe('subscribeToAll', () => {
    it('subscribes from the record before the position, filtered on the server, and delivers upcasted batches', async () => {
      const source = new FakeSubscription();
      const stub = stubClient({
        readAll: fakeAll([resolvedEvent(10, { type: 'A' }), resolvedEvent(99, { type: 'A' })]).readAll,
        subscribeToAll: () => source,
      });
      const store = createEsdbEventStore(asClient(stub), { upcast });
      const subscription = store.subscribeToAll({
        fromPosition: pos(20),
        filter: { on: 'eventType', prefixes: ['Issue'] },
        maxBatchSize: 5,
      });
      const iterator = subscription[Symbol.asyncIterator]();
      const first = iterator.next();
      while (stub.subscribeToAll.mock.calls.length === 0) await tick();

      // One record earlier (a server before 24.10 skips the record after a scavenged start), and the scope on
      // the server: the event-type filter is applied in process.
      expect(stub.subscribeToAll.mock.calls[0]![0]).toMatchObject({
        fromPosition: { commit: 10n, prepare: 10n },
        filter: {
          filterOn: 'streamName',
          prefixes: ['organization-', 'project-', 'issue-', 'user-', 'admin-'],
        },
      });
      await source.send(resolvedEvent(30, { type: 'IssueCreated' }), resolvedEvent(31, { type: 'Other' }));
      source.emit('caughtUp');
      const message = (await first).value;
      expect(message).toMatchObject({
        kind: 'events',
        events: [{ type: 'IssueCreated', data: { upcast: true } }],
      });
      expect((await iterator.next()).value).toEqual({ kind: 'caughtUp', position: pos(31) });

      await store.close();
      expect(source.unsubscribeCalls).toBe(1);
      expect((await iterator.next()).done).toBe(true);
      expect(stub.dispose).not.toHaveBeenCalled();
    });

    it("filters on the application's streams on the server and starts at the start by default", async () => {
      const stub = stubClient({ readAll: fakeAll([]).readAll, subscribeToAll: () => new FakeSubscription() });
      const subscription = createEsdbEventStore(asClient(stub)).subscribeToAll();
      const iterator = subscription[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toEqual({ kind: 'caughtUp', position: START });
      expect(stub.subscribeToAll.mock.calls[0]![0]).toMatchObject({
        fromPosition: 'start',
        filter: {
          filterOn: 'streamName',
          prefixes: ['organization-', 'project-', 'issue-', 'user-', 'admin-'],
        },
      });
      await subscription.stop();
    });

    it('drops in process what reaches it from outside the scope', async () => {
      const source = new FakeSubscription();
      const stub = stubClient({ readAll: fakeAll([]).readAll, subscribeToAll: () => source });
      const subscription = createEsdbEventStore(asClient(stub)).subscribeToAll({ maxBatchSize: 10 });
      const iterator = subscription[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toMatchObject({ kind: 'caughtUp' });
      await source.send(
        resolvedEvent(10, { streamId: 'billing-1', type: 'IssueCreated' }),
        resolvedEvent(11, { streamId: 'issue-1', type: 'IssueCreated' }),
        resolvedEvent(12, { streamId: 'issue-1', type: '$streamDeleted' }),
      );
      const message = (await iterator.next()).value;
      expect(message.events.map((e: RecordedEvent) => e.streamId)).toEqual(['issue-1']);
      await subscription.stop();
    });

    it('counts each drop it recovers from', async () => {
      const first = new FakeSubscription();
      const second = new FakeSubscription();
      const sources = [first, second];
      const dropped = jest.fn();
      const stub = stubClient({ readAll: fakeAll([]).readAll, subscribeToAll: () => sources.shift() });
      const store = createEsdbEventStore(asClient(stub), {
        onSubscriptionDropped: dropped,
        subscription: { retryDelayMs: () => 0 },
      });
      const subscription = store.subscribeToAll();
      const iterator = subscription[Symbol.asyncIterator]();
      await iterator.next();
      first.emit('error', new UnavailableError());
      while (stub.subscribeToAll.mock.calls.length < 2) await tick();
      expect(dropped.mock.calls).toEqual([['unavailable']]);
      await store.close();
    });
  });

  it('refuses a scope that would take in every stream or $-streams', () => {
    expect(() => createEsdbEventStore(asClient(stubClient()), { streamPrefixes: [] })).toThrow(RangeError);
    expect(() => createEsdbEventStore(asClient(stubClient()), { streamPrefixes: [''] })).toThrow(RangeError);
    expect(() => createEsdbEventStore(asClient(stubClient()), { streamPrefixes: ['$ce-'] })).toThrow(
      RangeError,
    );
  });

  it('reads kurrentdb:// connection strings, which the 6.2.1 client does not parse', () => {
    expect(toEsdbConnectionString('kurrentdb://admin:changeit@db:2113?tls=false')).toBe(
      'esdb://admin:changeit@db:2113?tls=false',
    );
    expect(toEsdbConnectionString('kurrentdb+discover://db:2113')).toBe('esdb+discover://db:2113');
    expect(toEsdbConnectionString('esdb://db:2113')).toBe('esdb://db:2113');
  });

  it('disposes the client on close only when it owns it', async () => {
    const stub = stubClient();
    await createEsdbEventStore(asClient(stub), { disposeClientOnClose: true }).close();
    expect(stub.dispose).toHaveBeenCalledTimes(1);
  });
});

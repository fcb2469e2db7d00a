/**
 * The event store contract: every adapter must pass it. Streams are named with a prefix unique to each
 * test, and whole-log reads filter on it, so the suite also runs against a shared server.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  AppendTooLargeError,
  type AllSubscription,
  type EventData,
  type EventFilter,
  type EventStore,
  type Position,
  type RecordedEvent,
  START,
  StreamDeletedError,
  type SubscriptionMessage,
  WrongExpectedRevisionError,
  isPosition,
} from './port';

export interface ContractTarget {
  store: EventStore;
  teardown(): Promise<void>;
  /** Deletes a stream with the server's own tools: soft (it may come back) or hard (a tombstone). */
  deleteStream?(streamId: string, how: 'soft' | 'hard'): Promise<void>;
  /** The most bytes the server takes in one append. */
  maxAppendBytes?: number;
}

/** What an adapter's log can do beyond the port, each with cases of its own. */
export interface ContractOptions {
  /**
   * The log is shared with other applications (EventStoreDB): names a stream outside the store's scope for a test
   * prefix. Such streams can be written and read one by one, but whole-log reads must never show them.
   */
  foreignStream?: (testPrefix: string) => string;
  /** Streams can be deleted (the target gives `deleteStream`). */
  deletesStreams?: boolean;
  /** Appends have a size limit (the target gives `maxAppendBytes`). */
  limitsAppendSize?: boolean;
}

const metadata = (overrides: Partial<EventData['metadata']> = {}): EventData['metadata'] => ({
  actorId: randomUUID(),
  correlationId: randomUUID(),
  causationId: randomUUID(),
  commandId: randomUUID(),
  schemaVersion: 1,
  occurredAt: '2026-11-24T10:00:00.000Z',
  ...overrides,
});

const event = (type: string, data: unknown = {}): EventData => ({ type, data, metadata: metadata() });

/** Collects a subscription's messages in the background until `until` holds or the time runs out. */
const collect = (subscription: AllSubscription) => {
  const messages: SubscriptionMessage[] = [];
  const events: RecordedEvent[] = [];
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const message of subscription) {
        messages.push(message);
        if (message.kind === 'events') events.push(...message.events);
      }
    } catch (error) {
      failure = error;
    }
  })();
  const waitFor = async (until: () => boolean, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!until()) {
      if (failure) throw failure;
      if (Date.now() > deadline) throw new Error(`timed out; got ${events.length} events`);
      await delay(10);
    }
  };
  return { messages, events, done, waitFor };
};

/** What every group of cases shares: the target (made once, before the cases run) and the running test's names. */
interface Suite {
  readonly target: ContractTarget;
  readonly store: EventStore;
  /** Unique to the running test: its streams and event types start with it. */
  readonly prefix: string;
  /** A new stream of the running test. */
  stream(id: string): string;
  /** A whole-log filter that lets only the running test's streams through. */
  onlyMine(): EventFilter;
  /**
   * Whole-log reads only show what every reader may see (for PostgreSQL: nothing newer than the oldest
   * running write transaction on the server, which other suites may hold open for a while). Waits for it.
   */
  readable(position: Position): Promise<void>;
}

/** Makes the target before the cases and tears it down after them; gives each case a prefix of its own. */
const contractSuite = (factory: () => Promise<ContractTarget>): Suite => {
  let target: ContractTarget | undefined;
  let prefix = '';
  beforeAll(async () => {
    target = await factory();
  });
  afterAll(async () => {
    await target?.teardown();
  });
  beforeEach(() => {
    prefix = `c${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  });
  const suite: Suite = {
    get target() {
      if (!target) throw new Error('the contract target is made in beforeAll');
      return target;
    },
    get store() {
      return suite.target.store;
    },
    get prefix() {
      return prefix;
    },
    stream: (id) => `${prefix}_${id}-${randomUUID()}`,
    onlyMine: () => ({ on: 'streamName', prefixes: [prefix] }),
    async readable(position) {
      const deadline = Date.now() + 15_000;
      while ((await suite.store.headPosition()) < position) {
        if (Date.now() > deadline) throw new Error(`the log did not reach ${position}`);
        await delay(20);
      }
    },
  };
  return suite;
};

/** What an append answers: the revision and the position of its last event. */
const appendResults = (s: Suite): void => {
  it('appends to a new stream with no_stream and numbers revisions from 0', async () => {
    const id = s.stream('a');
    const result = await s.store.appendToStream(id, [event('A'), event('B'), event('C')], {
      expectedRevision: 'no_stream',
    });
    expect(result.nextRevision).toBe(2);
    expect(isPosition(result.position)).toBe(true);
    const events = await s.store.readStream(id);
    expect(events.map((e) => [e.type, e.revision])).toEqual([
      ['A', 0],
      ['B', 1],
      ['C', 2],
    ]);
    expect(events[2]!.position).toBe(result.position);
  });

  it('returns the position of the last event of a large append', async () => {
    const id = s.stream('large');
    const result = await s.store.appendToStream(
      id,
      Array.from({ length: 40 }, (_, i) => event(`E${i}`)),
      { expectedRevision: 'no_stream' },
    );
    const events = await s.store.readStream(id);
    expect(result.nextRevision).toBe(39);
    expect(result.position).toBe(events[39]!.position);
    expect(events.every((e) => e.position <= result.position)).toBe(true);
  });
};

/** Each expectation an append can name, and writers racing on one. */
const expectedRevisions = (s: Suite): void => {
  it('refuses no_stream when the stream exists, naming the actual revision', async () => {
    const id = s.stream('a');
    await s.store.appendToStream(id, [event('A')], { expectedRevision: 'no_stream' });
    const error = await s.store
      .appendToStream(id, [event('B')], { expectedRevision: 'no_stream' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    expect((error as WrongExpectedRevisionError).actual).toBe(0);
    expect(await s.store.readStream(id)).toHaveLength(1);
  });

  it('appends at the exact revision and refuses a stale one without writing', async () => {
    const id = s.stream('a');
    await s.store.appendToStream(id, [event('A'), event('B')], { expectedRevision: 'no_stream' });
    const ok = await s.store.appendToStream(id, [event('C')], { expectedRevision: 1 });
    expect(ok.nextRevision).toBe(2);
    const error = await s.store
      .appendToStream(id, [event('D')], { expectedRevision: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    expect((error as WrongExpectedRevisionError).expected).toBe(1);
    expect((error as WrongExpectedRevisionError).actual).toBe(2);
    expect((await s.store.readStream(id)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
  });

  it('refuses an exact revision on a stream that does not exist', async () => {
    const error = await s.store
      .appendToStream(s.stream('a'), [event('A')], { expectedRevision: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    expect((error as WrongExpectedRevisionError).actual ?? null).toBeNull();
  });

  it('refuses stream_exists on a missing stream and accepts it on an existing one', async () => {
    const id = s.stream('a');
    const error = await s.store
      .appendToStream(id, [event('A')], { expectedRevision: 'stream_exists' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    await s.store.appendToStream(id, [event('A')], { expectedRevision: 'no_stream' });
    const ok = await s.store.appendToStream(id, [event('B')], { expectedRevision: 'stream_exists' });
    expect(ok.nextRevision).toBe(1);
  });

  it('appends with any whether or not the stream exists', async () => {
    const id = s.stream('a');
    expect((await s.store.appendToStream(id, [event('A')], { expectedRevision: 'any' })).nextRevision).toBe(
      0,
    );
    expect((await s.store.appendToStream(id, [event('B'), event('C')])).nextRevision).toBe(2);
  });

  it('lets exactly one of many writers expecting the same revision win', async () => {
    const id = s.stream('race');
    await s.store.appendToStream(id, [event('A')], { expectedRevision: 'no_stream' });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        s.store.appendToStream(id, [event(`W${i}`)], { expectedRevision: 0 }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
    }
    expect(await s.store.readStream(id)).toHaveLength(2);
  });
};

/** What an append keeps: order across streams, payloads and metadata; an empty append writes nothing. */
const appendedEvents = (s: Suite): void => {
  it('gives later appends higher positions', async () => {
    const first = await s.store.appendToStream(s.stream('a'), [event('A')]);
    const second = await s.store.appendToStream(s.stream('b'), [event('B')]);
    expect(second.position > first.position).toBe(true);
  });

  it('keeps payloads and every metadata field', async () => {
    const id = s.stream('meta');
    const meta = metadata({ actorId: null, schemaVersion: 3 });
    const data = { text: 'ünïcødé "quoted"', nested: { list: [1, 2, 3], flag: true, none: null } };
    const eventId = randomUUID();
    await s.store.appendToStream(id, [{ eventId, type: 'Meta', data, metadata: meta }]);
    const [read] = await s.store.readStream(id);
    expect(read).toMatchObject({
      eventId,
      streamId: id,
      type: 'Meta',
      data,
      metadata: meta,
      revision: 0,
    });
    expect(read!.recordedAt).toBeInstanceOf(Date);
  });

  it('checks the expectation of an empty append without writing', async () => {
    const id = s.stream('empty');
    await expect(
      s.store.appendToStream(id, [], { expectedRevision: 'stream_exists' }),
    ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    await s.store.appendToStream(id, [event('A')]);
    expect((await s.store.appendToStream(id, [], { expectedRevision: 0 })).nextRevision).toBe(0);
    expect(await s.store.readStream(id)).toHaveLength(1);
  });
};

/** Conditions on the other streams a decision read (`unchanged`): all still where they were, or nothing is written. */
const unchangedStreams = (s: Suite): void => {
  it('appends while every stream named unchanged is at its revision, a missing one at -1', async () => {
    const organization = s.stream('org');
    await s.store.appendToStream(organization, [event('A'), event('B')], { expectedRevision: 'no_stream' });
    const id = s.stream('issue');
    const result = await s.store.appendToStream(id, [event('C')], {
      expectedRevision: 'no_stream',
      unchanged: [
        { streamId: organization, revision: 1 },
        { streamId: s.stream('missing'), revision: -1 },
      ],
    });
    expect(result.nextRevision).toBe(0);
    expect((await s.store.readStream(id)).map((e) => e.type)).toEqual(['C']);
  });

  it('writes nothing when a stream named unchanged moved, and names that stream', async () => {
    const organization = s.stream('org');
    await s.store.appendToStream(organization, [event('A')], { expectedRevision: 'no_stream' });
    const id = s.stream('issue');
    await s.store.appendToStream(id, [event('B')], { expectedRevision: 'no_stream' });
    await s.store.appendToStream(organization, [event('MemberRemoved')], { expectedRevision: 0 });
    for (const expectedRevision of [0, 'any', 'stream_exists'] as const) {
      const error = await s.store
        .appendToStream(id, [event('C')], {
          expectedRevision,
          unchanged: [{ streamId: organization, revision: 0 }],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ streamId: organization, expected: 0, actual: 1 });
    }
    const missing = await s.store
      .appendToStream(s.stream('new'), [event('C')], {
        expectedRevision: 'no_stream',
        unchanged: [{ streamId: s.stream('gone'), revision: 3 }],
      })
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ expected: 3, actual: null });
    await expect(
      s.store.appendToStream(id, [], {
        expectedRevision: 0,
        unchanged: [{ streamId: organization, revision: 0 }],
      }),
    ).rejects.toMatchObject({ streamId: organization });
    expect((await s.store.readStream(id)).map((e) => e.type)).toEqual(['B']);
  });
};

const appending = (s: Suite): void => {
  describe('appending', () => {
    appendResults(s);
    expectedRevisions(s);
    unchangedStreams(s);
    appendedEvents(s);
  });
};

/** What the store says of itself. */
const theStoreItself = (s: Suite): void => {
  describe('the store itself', () => {
    it('names its kind and answers a ping', async () => {
      expect(typeof s.store.kind).toBe('string');
      expect(s.store.kind.length).toBeGreaterThan(0);
      await expect(s.store.ping()).resolves.toBeUndefined();
    });
  });
};

/** One stream, in either direction. */
const readingAStream = (s: Suite): void => {
  describe('reading a stream', () => {
    it('reads forwards and backwards from a revision, bounded by a count', async () => {
      const id = s.stream('r');
      await s.store.appendToStream(
        id,
        ['A', 'B', 'C', 'D', 'E'].map((t) => event(t)),
      );
      const types = (events: RecordedEvent[]) => events.map((e) => e.type).join('');
      expect(types(await s.store.readStream(id))).toBe('ABCDE');
      expect(types(await s.store.readStream(id, { fromRevision: 2 }))).toBe('CDE');
      expect(types(await s.store.readStream(id, { fromRevision: 1, maxCount: 2 }))).toBe('BC');
      expect(types(await s.store.readStream(id, { direction: 'backwards' }))).toBe('EDCBA');
      expect(
        types(await s.store.readStream(id, { direction: 'backwards', fromRevision: 3, maxCount: 2 })),
      ).toBe('DC');
    });

    it('reads a missing stream as empty and its revision as null', async () => {
      const id = s.stream('missing');
      expect(await s.store.readStream(id)).toEqual([]);
      expect(await s.store.streamRevision(id)).toBeNull();
      await s.store.appendToStream(id, [event('A'), event('B')]);
      expect(await s.store.streamRevision(id)).toBe(1);
    });
  });
};

/** The whole log, filtered, and its head. */
const readingTheWholeLog = (s: Suite): void => {
  describe('reading the whole log', () => {
    it('reads in log order after an exclusive position, filtered by stream prefix', async () => {
      const a = s.stream('a');
      const b = s.stream('b');
      await s.store.appendToStream(a, [event('A1'), event('A2')]);
      await s.store.appendToStream(b, [event('B1')]);
      await s.readable((await s.store.appendToStream(a, [event('A3')])).position);
      const all = await s.store.readAll({ filter: s.onlyMine() });
      expect(all.map((e) => e.type)).toEqual(['A1', 'A2', 'B1', 'A3']);
      const positions = all.map((e) => e.position);
      expect([...positions].sort()).toEqual(positions);
      const after = await s.store.readAll({ fromPosition: all[1]!.position, filter: s.onlyMine() });
      expect(after.map((e) => e.type)).toEqual(['B1', 'A3']);
      const limited = await s.store.readAll({ fromPosition: START, maxCount: 2, filter: s.onlyMine() });
      expect(limited.map((e) => e.type)).toEqual(['A1', 'A2']);
    });

    it('filters by event type prefix', async () => {
      const typePrefix = `${s.prefix}Type`;
      const { position } = await s.store.appendToStream(s.stream('a'), [
        event(`${typePrefix}One`),
        event('Other'),
        event(`${typePrefix}Two`),
      ]);
      await s.readable(position);
      const found = await s.store.readAll({ filter: { on: 'eventType', prefixes: [typePrefix] } });
      expect(found.map((e) => e.type)).toEqual([`${typePrefix}One`, `${typePrefix}Two`]);
    });

    it('reports a head position at or after the last append', async () => {
      const { position } = await s.store.appendToStream(s.stream('h'), [event('A')]);
      const deadline = Date.now() + 5000;
      let head: Position = await s.store.headPosition();
      while (head < position && Date.now() < deadline) {
        await delay(20);
        head = await s.store.headPosition();
      }
      expect(head >= position).toBe(true);
    });
  });
};

/** A log shared with other applications (EventStoreDB): their streams stay out of whole-log reads. */
const othersEventsInTheLog = (
  s: Suite,
  foreignStream: NonNullable<ContractOptions['foreignStream']>,
): void => {
  describe("other applications' events in the same log", () => {
    it('keeps them out of whole-log reads, subscriptions and the head, even with matching event types', async () => {
      const typePrefix = `${s.prefix}Type`;
      const byType = { on: 'eventType' as const, prefixes: [typePrefix] };
      const foreign = foreignStream(s.prefix);
      await s.store.appendToStream(s.stream('mine'), [event(`${typePrefix}Mine1`)]);
      await s.store.appendToStream(foreign, [event(`${typePrefix}Foreign1`)]);
      const mine = await s.store.appendToStream(s.stream('mine'), [event(`${typePrefix}Mine2`)]);
      const last = await s.store.appendToStream(foreign, [event(`${typePrefix}Foreign2`)]);
      await s.readable(mine.position);

      expect((await s.store.readAll({ filter: byType })).map((e) => e.type)).toEqual([
        `${typePrefix}Mine1`,
        `${typePrefix}Mine2`,
      ]);
      expect(await s.store.headPosition()).not.toBe(last.position);
      const subscription = s.store.subscribeToAll({ filter: byType });
      const seen = collect(subscription);
      await seen.waitFor(() => seen.messages.some((m) => m.kind === 'caughtUp'));
      await s.store.appendToStream(foreign, [event(`${typePrefix}Foreign3`)]);
      await s.store.appendToStream(s.stream('mine'), [event(`${typePrefix}Mine3`)]);
      await seen.waitFor(() => seen.events.length >= 3);
      await delay(100);
      expect(seen.events.map((e) => e.type)).toEqual([
        `${typePrefix}Mine1`,
        `${typePrefix}Mine2`,
        `${typePrefix}Mine3`,
      ]);
      await subscription.stop();
      await seen.done;
      // One by one, a foreign stream is an ordinary stream.
      expect((await s.store.readStream(foreign)).map((e) => e.type)).toEqual([
        `${typePrefix}Foreign1`,
        `${typePrefix}Foreign2`,
        `${typePrefix}Foreign3`,
      ]);
    });
  });
};

/** Streams deleted with the server's own tools. */
const deletedStreams = (s: Suite): void => {
  describe('deleted streams', () => {
    it('reads a deleted stream as empty with no revision, soft or hard', async () => {
      const soft = s.stream('soft');
      const hard = s.stream('hard');
      await s.store.appendToStream(soft, [event('A'), event('B')]);
      await s.store.appendToStream(hard, [event('A')]);
      await s.target.deleteStream!(soft, 'soft');
      await s.target.deleteStream!(hard, 'hard');
      expect(await s.store.readStream(soft)).toEqual([]);
      expect(await s.store.streamRevision(soft)).toBeNull();
      expect(await s.store.readStream(hard)).toEqual([]);
      expect(await s.store.streamRevision(hard)).toBeNull();
    });

    it('refuses an append to a hard-deleted stream with StreamDeletedError naming it', async () => {
      const hard = s.stream('hard');
      await s.store.appendToStream(hard, [event('A')]);
      await s.target.deleteStream!(hard, 'hard');
      const error = await s.store.appendToStream(hard, [event('B')]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StreamDeletedError);
      expect((error as StreamDeletedError).streamId).toBe(hard);
    });

    it('never hands a deletion marker to whole-log readers', async () => {
      const hard = s.stream('hard');
      await s.store.appendToStream(hard, [event('A')]);
      await s.target.deleteStream!(hard, 'hard');
      const { position } = await s.store.appendToStream(s.stream('after'), [event('B')]);
      await s.readable(position);
      // The deleted stream's own events may stay in the log until a scavenge; its tombstone never shows.
      const read = (await s.store.readAll({ filter: s.onlyMine() })).map((e) => e.type);
      expect(read).toContain('B');
      expect(read.filter((type) => type !== 'A' && type !== 'B')).toEqual([]);
      const subscription = s.store.subscribeToAll({ filter: s.onlyMine() });
      const seen = collect(subscription);
      await seen.waitFor(() => seen.messages.some((m) => m.kind === 'caughtUp'));
      expect(seen.events.map((e) => e.type)).toEqual(read);
      await subscription.stop();
      await seen.done;
    });
  });
};

/** A server that bounds the size of one append. */
const theAppendSizeLimit = (s: Suite): void => {
  describe('the append size limit', () => {
    it('takes an append just under the limit and refuses one over it with AppendTooLargeError', async () => {
      const max = s.target.maxAppendBytes!;
      const id = s.stream('big');
      const under = 'u'.repeat(max - 16 * 1024);
      await s.store.appendToStream(id, [event('Big', { text: under })], { expectedRevision: 'no_stream' });
      const over = await s.store
        .appendToStream(id, [event('Bigger', { text: 'o'.repeat(max + 1024) })])
        .catch((e: unknown) => e);
      expect(over).toBeInstanceOf(AppendTooLargeError);
      // The limit is per append, not per event.
      const half = 'h'.repeat(Math.ceil(max * 0.6));
      const split = await s.store
        .appendToStream(id, [event('Half', { text: half }), event('Half', { text: half })])
        .catch((e: unknown) => e);
      expect(split).toBeInstanceOf(AppendTooLargeError);
      const events = await s.store.readStream(id);
      expect(events.map((e) => e.type)).toEqual(['Big']);
      expect((events[0]!.data as { text: string }).text).toBe(under);
    });
  });
};

/** Subscriptions to the whole log: catching up, going live, exactly once and in order. */
const subscribing = (s: Suite): void => {
  describe('subscribing to the whole log', () => {
    it('delivers the past, says it caught up, then delivers live events in order, and stops', async () => {
      const a = s.stream('s');
      await s.store.appendToStream(a, [event('P1'), event('P2')]);
      const subscription = s.store.subscribeToAll({ filter: s.onlyMine(), maxBatchSize: 10 });
      const seen = collect(subscription);
      await seen.waitFor(() => seen.messages.some((m) => m.kind === 'caughtUp'));
      expect(seen.events.map((e) => e.type)).toEqual(['P1', 'P2']);
      const caughtUp = seen.messages.find((m) => m.kind === 'caughtUp');
      expect(caughtUp && caughtUp.kind === 'caughtUp' && caughtUp.position >= seen.events[1]!.position).toBe(
        true,
      );

      for (let i = 0; i < 5; i++) await s.store.appendToStream(s.stream('s'), [event(`L${i}`)]);
      await seen.waitFor(() => seen.events.length === 7);
      expect(seen.events.map((e) => e.type)).toEqual(['P1', 'P2', 'L0', 'L1', 'L2', 'L3', 'L4']);
      const positions = seen.events.map((e) => e.position);
      expect(new Set(positions).size).toBe(positions.length);
      expect([...positions].sort()).toEqual(positions);

      await subscription.stop();
      await seen.done;
    });

    it('starts after an exclusive position and batches no more than asked', async () => {
      const id = s.stream('from');
      await s.store.appendToStream(
        id,
        ['E0', 'E1', 'E2', 'E3', 'E4', 'E5', 'E6'].map((t) => event(t)),
      );
      const [, second] = await s.store.readStream(id, { maxCount: 2 });
      const subscription = s.store.subscribeToAll({
        fromPosition: second!.position,
        filter: s.onlyMine(),
        maxBatchSize: 2,
      });
      const seen = collect(subscription);
      await seen.waitFor(() => seen.events.length === 5);
      expect(seen.events.map((e) => e.type)).toEqual(['E2', 'E3', 'E4', 'E5', 'E6']);
      for (const m of seen.messages) if (m.kind === 'events') expect(m.events.length).toBeLessThanOrEqual(2);
      await subscription.stop();
      await seen.done;
    });

    it('delivers every event of many concurrent writers exactly once, in position order', async () => {
      const subscription = s.store.subscribeToAll({ filter: s.onlyMine(), maxBatchSize: 50 });
      const seen = collect(subscription);
      const writers = Array.from({ length: 6 }, async (_, w) => {
        const id = s.stream(`w${w}`);
        for (let i = 0; i < 20; i++)
          await s.store.appendToStream(id, [event(`W${w}-${i}`), event(`W${w}-${i}b`)]);
      });
      await Promise.all(writers);
      await seen.waitFor(() => seen.events.length >= 240);
      await delay(100);
      expect(seen.events).toHaveLength(240);
      const positions = seen.events.map((e) => e.position);
      expect([...positions].sort()).toEqual(positions);
      expect(new Set(positions).size).toBe(240);
      await subscription.stop();
      await seen.done;
    });
  });
};

export const eventStoreContract = (
  name: string,
  factory: () => Promise<ContractTarget>,
  options: ContractOptions = {},
): void => {
  describe(`${name} event store contract`, () => {
    const s = contractSuite(factory);
    appending(s);
    theStoreItself(s);
    readingAStream(s);
    readingTheWholeLog(s);
    if (options.foreignStream) othersEventsInTheLog(s, options.foreignStream);
    if (options.deletesStreams) deletedStreams(s);
    if (options.limitsAppendSize) theAppendSizeLimit(s);
    subscribing(s);
  });
};

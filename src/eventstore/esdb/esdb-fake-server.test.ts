/**
 * The adapter against `FakeEsdbServer`: the client's own subscription transform over a server that behaves as
 * EventStoreDB's source says it does (bounded live buffer, skip-one starts, Position.End in old stream reads,
 * tombstones, append size limits, ACLs). Each case is something the lenient fakes let through.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  AppendTooLargeError,
  type EventData,
  type EventStore,
  EventStoreAccessDeniedError,
  type RecordedEvent,
  StreamDeletedError,
  type SubscriptionMessage,
} from '../port';
import { createEsdbEventStore } from './esdb-event-store';
import { positionFromEsdb } from './esdb-mapping';
import {
  FakeEsdbServer,
  type FakeServerOptions,
  META,
  grpcError,
  tick,
} from '../../../test/support/esdb/fakes';

const event = (type: string, data: unknown = { type }): EventData => ({ type, data, metadata: META });

const OLD_SERVER: FakeServerOptions = { start: 'skip-one', sendsCaughtUp: false, slowConsumer: 'drop' };
const SERVER_23_10: FakeServerOptions = { start: 'skip-one', sendsCaughtUp: true, slowConsumer: 'drop' };
const SERVER_24_10: FakeServerOptions = {
  start: 'exclusive',
  sendsCaughtUp: true,
  slowConsumer: 'fall-behind',
};

const until = async (condition: () => boolean, what: string, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(2);
  }
};

/** Reads a subscription in the background; `paused` holds the reader back, as a busy projector does. */
const reader = (store: EventStore, options: Parameters<EventStore['subscribeToAll']>[0] = {}) => {
  const subscription = store.subscribeToAll(options);
  const messages: SubscriptionMessage[] = [];
  const events: RecordedEvent[] = [];
  const state = { paused: false, failure: undefined as unknown };
  const done = (async () => {
    try {
      for await (const message of subscription) {
        messages.push(message);
        if (message.kind === 'events') events.push(...message.events);
        while (state.paused) await delay(5);
      }
    } catch (error) {
      state.failure = error;
    }
  })();
  return { subscription, messages, events, state, done };
};

describe('the EventStoreDB adapter against a strict fake server', () => {
  const stores: EventStore[] = [];
  const storeOn = (server: FakeEsdbServer, options: Parameters<typeof createEsdbEventStore>[1] = {}) => {
    const store = createEsdbEventStore(server.client(), {
      subscription: { retryDelayMs: () => 0 },
      ...options,
    });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  describe.each([
    ['before 23.10', OLD_SERVER],
    ['23.10', SERVER_23_10],
    ['24.10 and later', SERVER_24_10],
  ])('a server %s', (_name, options) => {
    it('keeps a lagging reader subscribed: every live event arrives once, in order, and nothing is dropped', async () => {
      const server = new FakeEsdbServer(options);
      const dropped = jest.fn();
      const store = storeOn(server, { onSubscriptionDropped: dropped });
      for (let i = 0; i < 100; i++) await store.appendToStream(`issue-${i % 7}`, [event(`Past${i}`)]);
      const seen = reader(store, { maxBatchSize: 50 });
      await until(() => seen.messages.some((m) => m.kind === 'caughtUp'), 'caught up');

      // The projector is busy with a long batch while 3000 events are written, a few at a time.
      seen.state.paused = true;
      for (let i = 0; i < 3000; i += 6) {
        await store.appendToStream(
          `issue-${i % 11}`,
          Array.from({ length: 6 }, (_, j) => event(`Live${i + j}`)),
        );
        await tick();
      }
      seen.state.paused = false;
      await until(() => seen.events.length >= 3100 || seen.state.failure !== undefined, 'every event');
      expect(seen.state.failure).toBeUndefined();
      expect(seen.events).toHaveLength(3100);
      const positions = seen.events.map((e) => e.position);
      expect([...positions].sort()).toEqual(positions);
      expect(new Set(positions).size).toBe(3100);
      expect(server.drops).toBe(0);
      expect(dropped).not.toHaveBeenCalled();
    });

    it('opens the subscription again after the last event delivered when the connection drops, and counts it', async () => {
      const server = new FakeEsdbServer(options);
      const dropped = jest.fn();
      const store = storeOn(server, { onSubscriptionDropped: dropped });
      for (let i = 0; i < 20; i++) await store.appendToStream('issue-1', [event(`E${i}`)]);
      const seen = reader(store, { maxBatchSize: 7 });
      await until(() => seen.events.length === 20, 'the first events');
      server.dropAll(grpcError(14, 'Connection reset by peer'));
      for (let i = 20; i < 40; i++) await store.appendToStream('issue-2', [event(`E${i}`)]);
      await until(() => seen.events.length >= 40 || seen.state.failure !== undefined, 'every event');
      expect(seen.state.failure).toBeUndefined();
      expect(seen.events.map((e) => e.type)).toEqual(Array.from({ length: 40 }, (_, i) => `E${i}`));
      expect(dropped.mock.calls).toEqual([['unavailable']]);
    });
  });

  it('does not let a scavenged start event make the server skip the next one', async () => {
    const server = new FakeEsdbServer(SERVER_23_10);
    const store = storeOn(server);
    await store.appendToStream('issue-1', [event('A')]);
    const checkpoint = (await store.appendToStream('issue-2', [event('B')])).position;
    await store.appendToStream('issue-3', [event('C')]);
    await store.appendToStream('issue-4', [event('D')]);
    // The projector's checkpoint is B; then issue-2 is deleted and scavenged.
    server.scavenge((e) => e.streamId === 'issue-2');
    const seen = reader(store, { fromPosition: checkpoint });
    await until(() => seen.messages.some((m) => m.kind === 'caughtUp'), 'caught up');
    expect(seen.events.map((e) => e.type)).toEqual(['C', 'D']);
  });

  it("never hands other applications' events to whole-log readers, even with our event types", async () => {
    const server = new FakeEsdbServer(SERVER_24_10);
    server.write('billing-1', [{ type: 'IssueCreated', data: { foreign: true } }]);
    const store = storeOn(server);
    const mine = await store.appendToStream('issue-1', [event('IssueCreated')]);
    server.write('billing-2', [{ type: 'IssueCreated', data: { foreign: true } }]);
    server.write('$stats-node', [{ type: '$statsCollected' }]);

    expect((await store.readAll()).map((e) => e.streamId)).toEqual(['issue-1']);
    expect(await store.headPosition()).toBe(mine.position);
    const seen = reader(store);
    await until(() => seen.messages.some((m) => m.kind === 'caughtUp'), 'caught up');
    server.write('billing-3', [{ type: 'IssueCreated' }]);
    await store.appendToStream('project-1', [event('ProjectCreated')]);
    await until(() => seen.events.length === 2, 'the live event');
    expect(seen.events.map((e) => e.streamId)).toEqual(['issue-1', 'project-1']);
    expect(seen.messages.find((m) => m.kind === 'caughtUp')).toEqual({
      kind: 'caughtUp',
      position: mine.position,
    });
  });

  it('fails an append at once when its data cannot be encoded, where the client would hang', async () => {
    const server = new FakeEsdbServer(SERVER_24_10);
    const client = server.client();
    const store = createEsdbEventStore(client);
    stores.push(store);
    const outcome = await Promise.race([
      store.appendToStream('issue-1', [event('A', { at: 1n })]).catch((error: unknown) => error),
      delay(1000, 'still pending'),
    ]);
    expect(outcome).toBeInstanceOf(TypeError);
    expect(client.hungAppends).toEqual([]);
    expect(server.records).toHaveLength(0);
  });

  describe('positions the server does not give', () => {
    it('takes stream-read positions from $all on a server before 22.6, so read-your-writes has one to reach', async () => {
      const server = new FakeEsdbServer({ ...OLD_SERVER, streamReadPositions: false });
      const store = storeOn(server);
      const appended = await store.appendToStream('issue-1', [event('A'), event('B')]);
      server.write('billing-1', [{ type: 'X' }]);
      const read = await store.readStream('issue-1');
      expect(read.map((e) => e.position)).toEqual([
        positionFromEsdb(server.records[0]!.position),
        appended.position,
      ]);
      expect(read.every((e) => !e.position.startsWith('ffff'))).toBe(true);
    });

    it('finds the position of an append the server answered without one', async () => {
      const server = new FakeEsdbServer({ ...SERVER_24_10, appendPositions: false });
      const store = storeOn(server);
      await store.appendToStream('issue-1', [event('A')]);
      const result = await store.appendToStream('issue-1', [event('B'), event('C')]);
      expect(result.position).toBe(positionFromEsdb(server.records[2]!.position));
    });
  });

  describe('deleted streams', () => {
    it('reads a tombstoned stream as absent, refuses appends to it, and never delivers the tombstone', async () => {
      const server = new FakeEsdbServer(SERVER_24_10);
      const store = storeOn(server);
      await store.appendToStream('issue-9', [event('A')]);
      server.tombstone('issue-9');
      const after = await store.appendToStream('issue-10', [event('B')]);

      expect(await store.readStream('issue-9')).toEqual([]);
      expect(await store.streamRevision('issue-9')).toBeNull();
      const error = await store.appendToStream('issue-9', [event('C')]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StreamDeletedError);
      expect(error).toMatchObject({ streamId: 'issue-9' });
      expect((await store.readAll()).map((e) => e.type)).toEqual(['A', 'B']);
      expect(await store.headPosition()).toBe(after.position);
    });
  });

  it('refuses an append over the size limit with AppendTooLargeError, and takes one just under it', async () => {
    const server = new FakeEsdbServer({ ...SERVER_24_10, maxAppendSize: 10_000 });
    const store = storeOn(server);
    await store.appendToStream('issue-1', [event('Big', { text: 'x'.repeat(9_000) })]);
    const error = await store
      .appendToStream('issue-1', [event('Half', { text: 'x'.repeat(5_500) }), event('Half', { text: 'y' })])
      .then(() => store.appendToStream('issue-1', [event('Bigger', { text: 'x'.repeat(10_001) })]))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppendTooLargeError);
    expect(error).toMatchObject({ streamId: 'issue-1', maxBytes: 10_000 });
    expect((await store.readStream('issue-1')).map((e) => e.type)).toEqual(['Big', 'Half', 'Half']);
  });

  describe('a user without rights on $all', () => {
    it('is ready (the check reads a stream) but told clearly what is missing when the whole log is read', async () => {
      const server = new FakeEsdbServer({ ...SERVER_24_10, allDenied: true });
      const store = storeOn(server);
      await store.ping();
      await store.appendToStream('issue-1', [event('A')]);
      await expect(store.headPosition()).rejects.toBeInstanceOf(EventStoreAccessDeniedError);
      await expect(store.readAll()).rejects.toThrow(/refused reading \$all .*read on \$all/);
    });

    it('fails the subscription with the refusal instead of retrying it', async () => {
      const server = new FakeEsdbServer({ ...SERVER_24_10, allDenied: true });
      const store = storeOn(server);
      const subscription = store.subscribeToAll();
      await expect(subscription[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(
        EventStoreAccessDeniedError,
      );
      expect(server.subscribedFrom).toEqual([]);
    });
  });

  it('refuses a denied stream with the stream named', async () => {
    const server = new FakeEsdbServer({ ...SERVER_24_10, denied: (s) => s === 'issue-secret' });
    const store = storeOn(server);
    await expect(store.appendToStream('issue-secret', [event('A')])).rejects.toThrow(
      /refused appending to stream issue-secret/,
    );
  });
});

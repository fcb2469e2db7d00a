import { PassThrough } from 'node:stream';
import { AccessDeniedError, TimeoutError, UnavailableError } from '@eventstore/db-client';
import { Subscription as ClientSubscription } from '@eventstore/db-client/dist/streams/utils/Subscription';
import {
  type AllSubscription,
  EventStoreUnavailableError,
  type Position,
  type RecordedEvent,
  START,
  type SubscriptionMessage,
} from '../port';
import { positionFromEsdb } from './esdb-mapping';
import {
  type EsdbSubscriptionOptions,
  type SubscriptionSource,
  createEsdbSubscription,
} from './esdb-subscription';
import {
  FakeSubscription,
  ManualSubscription,
  grpcError,
  resolvedEvent,
  tick,
} from '../../../test/support/esdb/fakes';
import type { EsdbResolvedLike } from './esdb-mapping';

const pos = (n: number): Position => positionFromEsdb({ commit: BigInt(n), prepare: BigInt(n) });

/**
 * A subscription on fake sources (one per client subscription: `source`, then whatever `more` hands out);
 * resolves `opened` once the adapter has subscribed.
 */
const open = <S extends SubscriptionSource>(
  source: S,
  options: Partial<EsdbSubscriptionOptions> & { head?: Position; more?: () => SubscriptionSource } = {},
) => {
  let checkpoint: ((p: { commit: bigint; prepare: bigint }) => void) | undefined;
  let resolveOpened: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    resolveOpened = resolve;
  });
  const starts: Position[] = [];
  const { head, more, ...rest } = options;
  const subscription = createEsdbSubscription({
    readHead: async () => head ?? pos(1_000_000),
    recordBefore: async (p) => (p === START ? START : pos(Number(BigInt(`0x${p.slice(0, 16)}`)) - 1)),
    subscribe: (from, checkpointReached) => {
      starts.push(from);
      checkpoint = checkpointReached;
      resolveOpened();
      if (starts.length === 1) return source;
      if (!more) throw new Error('subscribed again, and the test has no other source');
      return more();
    },
    retryDelayMs: () => 0,
    ...rest,
  });
  return {
    subscription,
    opened,
    starts,
    checkpoint: (n: number) => checkpoint?.({ commit: BigInt(n), prepare: BigInt(n) }),
  };
};

/** `open` on a new `FakeSubscription`, once the adapter has subscribed to it. */
const openFake = async (options: Parameters<typeof open>[1] = {}) => {
  const source = new FakeSubscription();
  const opening = open(source, options);
  await opening.opened;
  return { source, ...opening };
};

const next = async (subscription: AllSubscription): Promise<SubscriptionMessage | 'done'> => {
  const result = await subscription[Symbol.asyncIterator]().next();
  return result.done ? 'done' : result.value;
};

const until = async (condition: () => boolean, timeoutMs = 2000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await tick();
  }
};

const types = (message: SubscriptionMessage | 'done') =>
  message !== 'done' && message.kind === 'events' ? message.events.map((e) => e.type) : message;

describe('the $all subscription', () => {
  it('delivers the events already available as one batch, then caught up at the last one', async () => {
    const { source, subscription } = await openFake({ maxBatchSize: 10 });
    await source.send(
      resolvedEvent(10, { type: 'A' }),
      resolvedEvent(20, { type: 'B' }),
      resolvedEvent(30, { type: 'C' }),
    );
    source.emit('caughtUp');

    expect(types(await next(subscription))).toEqual(['A', 'B', 'C']);
    expect(await next(subscription)).toEqual({ kind: 'caughtUp', position: pos(30) });
    await subscription.stop();
  });

  it('splits what is available into batches of at most maxBatchSize', async () => {
    const { source, subscription } = await openFake({ maxBatchSize: 2 });
    await source.send(...['A', 'B', 'C', 'D', 'E'].map((type, i) => resolvedEvent(10 + i, { type })));

    expect(types(await next(subscription))).toEqual(['A', 'B']);
    expect(types(await next(subscription))).toEqual(['C', 'D']);
    expect(types(await next(subscription))).toEqual(['E']);
    await subscription.stop();
  });

  it('waits for live events after catching up and delivers them in order', async () => {
    const { source, subscription } = await openFake();
    source.emit('caughtUp');
    expect(await next(subscription)).toEqual({ kind: 'caughtUp', position: START });

    const pending = next(subscription);
    await source.send(resolvedEvent(50, { type: 'Live' }));
    expect(types(await pending)).toEqual(['Live']);
    await subscription.stop();
  });

  it('places caughtUp after the events the client had pushed but not yet emitted', async () => {
    const source = new ManualSubscription();
    const { subscription, opened } = open(source, { maxBatchSize: 10 });
    await opened;
    source.emit('data', resolvedEvent(10, { type: 'A' }));
    source.readableLength = 2;
    source.emit('caughtUp');
    source.readableLength = 1;
    source.emit('data', resolvedEvent(20, { type: 'B' }));
    source.readableLength = 0;
    source.emit('data', resolvedEvent(30, { type: 'C' }));
    source.emit('data', resolvedEvent(40, { type: 'Live' }));

    expect(types(await next(subscription))).toEqual(['A', 'B', 'C']);
    expect(await next(subscription)).toEqual({ kind: 'caughtUp', position: pos(30) });
    expect(types(await next(subscription))).toEqual(['Live']);
    await subscription.stop();
  });

  it('skips system events and $-streams but counts them as seen', async () => {
    const { source, subscription } = await openFake({ maxBatchSize: 10 });
    await source.send(
      resolvedEvent(10, { type: 'A' }),
      resolvedEvent(11, { type: '$>', streamId: '$ce-issue' }),
      resolvedEvent(12, { type: '$metadata', streamId: '$$issue-1' }),
      resolvedEvent(13, { type: 'NotReallyUser', streamId: '$stats-node' }),
      resolvedEvent(14, { type: 'B' }),
      resolvedEvent(15, { type: '$statsCollected', streamId: '$stats-node' }),
      { commitPosition: 16n },
    );
    source.emit('caughtUp');

    expect(types(await next(subscription))).toEqual(['A', 'B']);
    expect(await next(subscription)).toEqual({ kind: 'caughtUp', position: pos(16) });
    await subscription.stop();
  });

  it('drops what the filter does not match and applies the upcaster', async () => {
    const upcast = (e: RecordedEvent): RecordedEvent => ({ ...e, type: `${e.type}V2` });
    const { source, subscription } = await openFake({
      accept: (e) => e.streamId.startsWith('issue-'),
      upcast,
    });
    await source.send(
      resolvedEvent(10, { type: 'A', streamId: 'issue-1' }),
      resolvedEvent(11, { type: 'B', streamId: 'project-1' }),
    );
    expect(types(await next(subscription))).toEqual(['AV2']);
    await subscription.stop();
  });

  it('starts from a record before fromPosition and drops what it already holds, so a scavenged start skips nothing', async () => {
    const { source, subscription, starts } = await openFake({ fromPosition: pos(20) });
    // Servers before 24.10 start after the first record at or after the start: start one record earlier.
    expect(starts).toEqual([pos(19)]);
    await source.send(
      resolvedEvent(19, { type: 'Before' }),
      resolvedEvent(20, { type: 'Boundary' }),
      resolvedEvent(21, { type: 'After' }),
    );
    expect(types(await next(subscription))).toEqual(['After']);
    await subscription.stop();
  });

  describe('without caughtUp from the server (before 23.10)', () => {
    it('reports caught up on reaching the head read when subscribing', async () => {
      const { source, subscription } = await openFake({ head: pos(20), maxBatchSize: 10 });
      await source.send(resolvedEvent(10, { type: 'A' }), resolvedEvent(20, { type: 'B' }));
      expect(types(await next(subscription))).toEqual(['A', 'B']);
      expect(await next(subscription)).toEqual({ kind: 'caughtUp', position: pos(20) });
      await subscription.stop();
    });

    it('reports caught up at once when nothing lies beyond the start', async () => {
      const { subscription } = open(new FakeSubscription(), { head: pos(5), fromPosition: pos(5) });
      expect(await next(subscription)).toEqual({ kind: 'caughtUp', position: pos(5) });
      await subscription.stop();
    });

    it('reports caught up at the head when a filter checkpoint passes it', async () => {
      const { source, subscription, checkpoint } = await openFake({ head: pos(20) });
      await source.send(resolvedEvent(10, { type: 'A' }));
      checkpoint(20);
      checkpoint(25);
      expect(types(await next(subscription))).toEqual(['A']);
      expect(await next(subscription)).toEqual({ kind: 'caughtUp', position: pos(20) });
      await subscription.stop();
    });

    it('reports it only once, whichever signal comes first', async () => {
      const { source, subscription } = await openFake({ head: pos(10) });
      await source.send(resolvedEvent(10, { type: 'A' }));
      source.emit('caughtUp');
      await source.send(resolvedEvent(11, { type: 'B' }));
      const messages = [await next(subscription), await next(subscription), await next(subscription)];
      expect(messages.map((m) => (m !== 'done' && m.kind === 'caughtUp' ? 'caughtUp' : types(m)))).toEqual([
        ['A'],
        'caughtUp',
        ['B'],
      ]);
      await subscription.stop();
    });
  });

  it('reports caught up again after falling behind', async () => {
    const { source, subscription } = await openFake();
    source.emit('caughtUp');
    source.emit('fellBehind');
    await source.send(resolvedEvent(10, { type: 'A' }));
    source.emit('caughtUp');
    expect(await next(subscription)).toEqual({ kind: 'caughtUp', position: START });
    expect(types(await next(subscription))).toEqual(['A']);
    expect(await next(subscription)).toEqual({ kind: 'caughtUp', position: pos(10) });
    await subscription.stop();
  });

  it('does not report caught up right after falling behind: only the server says when it is back', async () => {
    const { source, subscription } = await openFake({ head: pos(10), maxBatchSize: 10 });
    await source.send(resolvedEvent(5, { type: 'A' }), resolvedEvent(10, { type: 'B' }));
    expect(types(await next(subscription))).toEqual(['A', 'B']);
    expect(await next(subscription)).toEqual({ kind: 'caughtUp', position: pos(10) });

    source.emit('fellBehind');
    await source.send(resolvedEvent(11, { type: 'C' }));
    expect(types(await next(subscription))).toEqual(['C']);
    // The head read when subscribing is long passed: it says nothing about being caught up again.
    const pending = next(subscription);
    expect(await Promise.race([pending, tick().then(() => 'nothing yet')])).toBe('nothing yet');
    source.emit('caughtUp');
    expect(await pending).toEqual({ kind: 'caughtUp', position: pos(11) });
    await subscription.stop();
  });

  it('ends the iteration cleanly on stop, even while waiting, and unsubscribes once', async () => {
    const { source, subscription } = await openFake();
    const seen: SubscriptionMessage[] = [];
    const done = (async () => {
      for await (const message of subscription) seen.push(message);
    })();
    await source.send(resolvedEvent(10, { type: 'A' }));
    await tick();
    await Promise.all([subscription.stop(), subscription.stop()]);
    await done;
    expect(types(seen[0]!)).toEqual(['A']);
    expect(source.unsubscribeCalls).toBe(1);
    expect(await next(subscription)).toBe('done');
  });

  it('unsubscribes when the consumer breaks out of the loop', async () => {
    const { source, subscription } = await openFake();
    await source.send(resolvedEvent(10, { type: 'A' }));
    for await (const _message of subscription) break;
    expect(source.unsubscribeCalls).toBe(1);
  });

  it('never subscribes when stopped before the head was read', async () => {
    const subscribe = jest.fn();
    const subscription = createEsdbSubscription({
      readHead: async () => START,
      recordBefore: async () => START,
      subscribe,
    });
    await subscription.stop();
    expect(subscribe).not.toHaveBeenCalled();
  });

  it('delivers what arrived, then throws the mapped error of a subscription the server refuses', async () => {
    const { source, subscription, starts } = await openFake();
    await source.send(resolvedEvent(10, { type: 'A' }));
    source.emit('error', new AccessDeniedError());
    expect(types(await next(subscription))).toEqual(['A']);
    await expect(next(subscription)).rejects.toThrow(/refused the subscription to \$all/);
    expect(starts).toHaveLength(1);
    expect(source.unsubscribeCalls).toBeGreaterThanOrEqual(1);
  });

  it('opens the subscription again after the last queued event when the server drops it, and counts the drop', async () => {
    const first = new FakeSubscription();
    const second = new FakeSubscription();
    const onDropped = jest.fn();
    const { subscription, opened, starts } = open(first, { more: () => second, onDropped, maxBatchSize: 10 });
    await opened;
    await first.send(
      resolvedEvent(10, { type: 'A' }),
      resolvedEvent(20, { type: 'B' }),
      resolvedEvent(30, { type: 'C' }),
    );
    first.emit(
      'error',
      new TimeoutError(
        grpcError(
          10,
          'Operation timed out: Consumer too slow to handle event while live. Client resubscription required.',
        ) as never,
      ),
    );
    await until(() => starts.length === 2);
    // From the record before the last one queued: a server that skips one record at the start skips a known one.
    expect(starts[1]).toBe(pos(20));
    await second.send(
      resolvedEvent(20, { type: 'B' }),
      resolvedEvent(30, { type: 'C' }),
      resolvedEvent(40, { type: 'D' }),
    );
    const seen: string[] = [];
    while (seen.length < 4) {
      const message = await next(subscription);
      if (message !== 'done' && message.kind === 'events') seen.push(...message.events.map((e) => e.type));
    }
    expect(seen).toEqual(['A', 'B', 'C', 'D']);
    expect(onDropped.mock.calls).toEqual([['aborted']]);
    await subscription.stop();
  });

  it('opens the subscription again when the server ends it without being asked', async () => {
    const first = new FakeSubscription();
    const second = new FakeSubscription();
    const onDropped = jest.fn();
    const { subscription, opened, starts } = open(first, { more: () => second, onDropped });
    await opened;
    await first.send(resolvedEvent(10, { type: 'A' }));
    first.end();
    await until(() => starts.length === 2);
    expect(types(await next(subscription))).toEqual(['A']);
    await second.send(resolvedEvent(10, { type: 'A' }), resolvedEvent(11, { type: 'B' }));
    expect(types(await next(subscription))).toEqual(['B']);
    expect(onDropped.mock.calls).toEqual([['ended']]);
    await subscription.stop();
  });

  it('fails once the subscription has dropped too often in a row without delivering anything', async () => {
    const onDropped = jest.fn();
    const failing = () => {
      const s = new FakeSubscription();
      setImmediate(() => s.emit('error', new UnavailableError()));
      return s;
    };
    const { subscription, starts } = open(failing(), { more: failing, onDropped, maxConsecutiveDrops: 2 });
    await expect(next(subscription)).rejects.toBeInstanceOf(EventStoreUnavailableError);
    expect(starts).toHaveLength(3);
    expect(onDropped.mock.calls).toEqual([['unavailable'], ['unavailable']]);
  });

  it('stops cleanly when the client cannot open the call and its unsubscribe rejects', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { source, subscription } = await openFake({ maxConsecutiveDrops: 0 });
      source.failToOpen(new Error('Failed to discover after 10 attempts.'));
      await expect(next(subscription)).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await subscription.stop();
      await tick();
      await tick();
      expect(source.unsubscribeCalls).toBeGreaterThanOrEqual(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('throws when the head cannot be read', async () => {
    const subscription = createEsdbSubscription({
      readHead: async () => {
        throw Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
      },
      recordBefore: async () => START,
      subscribe: jest.fn(),
    });
    await expect(next(subscription)).rejects.toBeInstanceOf(EventStoreUnavailableError);
  });

  it('never pauses the client: a lagging consumer lets go of the server subscription and comes back after the last queued event', async () => {
    const first = new ManualSubscription();
    const second = new ManualSubscription();
    const { subscription, opened, starts } = open(first, {
      more: () => second,
      maxBatchSize: 100,
      maxQueued: 300,
    });
    await opened;
    for (let i = 1; i <= 400; i++) first.emit('data', resolvedEvent(i));
    // A paused client backs up into the server's bounded live buffer, and the server drops the subscription.
    expect(first.paused).toBe(false);
    expect(first.unsubscribeCalls).toBe(1);
    expect(starts).toHaveLength(1);

    const positions: number[] = [];
    const take = async () => {
      const message = await next(subscription);
      if (message !== 'done' && message.kind === 'events')
        positions.push(...message.events.map((e) => Number(BigInt(`0x${e.position.slice(0, 16)}`))));
    };
    await take();
    await take();
    await until(() => starts.length === 2);
    expect(starts[1]).toBe(pos(299));
    for (let i = 299; i <= 400; i++) second.emit('data', resolvedEvent(i));
    while (positions.length < 400) await take();
    expect(positions).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    await subscription.stop();
  });

  describe("with the client's own Subscription stream over a fake gRPC stream", () => {
    /** The library's transform, fed with gRPC-like responses; the converter passes events through. */
    const clientSubscription = () => {
      const grpc = Object.assign(new PassThrough({ objectMode: true }), { cancel: jest.fn() });
      const checkpoints: Array<(p: { commit: bigint; prepare: bigint }) => void> = [];
      const subscription = new ClientSubscription<EsdbResolvedLike>(
        async () => grpc as never,
        (e) => e as unknown as EsdbResolvedLike,
        {},
        (_s, position) => {
          for (const c of checkpoints) c(position);
        },
      );
      const send = {
        event: (e: EsdbResolvedLike) => grpc.write({ hasEvent: () => true, getEvent: () => e }),
        caughtUp: () => grpc.write({ hasCaughtUp: () => true }),
        fellBehind: () => grpc.write({ hasFellBehind: () => true }),
        checkpoint: (n: number) =>
          grpc.write({
            hasCheckpoint: () => true,
            getCheckpoint: () => ({
              getCommitPosition: () => String(n),
              getPreparePosition: () => String(n),
            }),
          }),
      };
      return { grpc, subscription, send, checkpoints };
    };

    it('keeps caughtUp after every earlier event while the consumer lags', async () => {
      const { grpc, subscription: source, send } = clientSubscription();
      const { subscription, opened } = open(source, { maxBatchSize: 1, maxQueued: 5000 });
      await opened;
      for (let i = 1; i <= 1100; i++) send.event(resolvedEvent(i));
      send.caughtUp();
      send.event(resolvedEvent(2000, { type: 'Live' }));
      await tick();
      // The client is never paused: what the server sends is taken at once.
      expect(source.isPaused()).toBe(false);

      const seen: Array<string | number> = [];
      for await (const message of subscription) {
        if (message.kind === 'caughtUp')
          seen.push(`caughtUp@${message.position === pos(1100) ? 1100 : message.position}`);
        else
          for (const e of message.events)
            seen.push(e.type === 'Live' ? 'Live' : Number(BigInt(`0x${e.position.slice(0, 16)}`)));
        if (seen.at(-1) === 'Live') break;
        await tick();
      }
      expect(seen.slice(-3)).toEqual([1100, 'caughtUp@1100', 'Live']);
      expect(seen).toHaveLength(1102);
      await tick();
      expect(grpc.cancel).toHaveBeenCalled();
    });

    it('ends cleanly when stopped, with the client cancelling the gRPC call', async () => {
      const { grpc, subscription: source, send } = clientSubscription();
      const { subscription, opened } = open(source);
      await opened;
      send.event(resolvedEvent(1, { type: 'A' }));
      send.caughtUp();
      expect(types(await next(subscription))).toEqual(['A']);
      expect(await next(subscription)).toEqual({ kind: 'caughtUp', position: pos(1) });
      const waiting = next(subscription);
      await subscription.stop();
      expect(await waiting).toBe('done');
      await tick();
      expect(grpc.cancel).toHaveBeenCalledTimes(1);
    });

    it('uses the filter checkpoints it is given when the server sends no caughtUp', async () => {
      const { subscription: source, send, checkpoints } = clientSubscription();
      const { subscription, opened, checkpoint } = open(source, { head: pos(50) });
      await opened;
      checkpoints.push((p) => checkpoint(Number(p.commit)));
      send.event(resolvedEvent(10, { type: 'A' }));
      send.checkpoint(60);
      expect(types(await next(subscription))).toEqual(['A']);
      expect(await next(subscription)).toEqual({ kind: 'caughtUp', position: pos(50) });
      await subscription.stop();
    });
  });
});

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodePosition } from '../../eventstore/port';
import type { BusMessage, RoomMessage } from './bus';
import { RedisBus } from './redis-bus';
import { killRedisClient } from '../../../test/support/realtime';
import { describeWithRedis, redisUrl } from '../../../test/support/redis';

const url = redisUrl();

const until = async (condition: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
};

const message = (room: string, n: number): RoomMessage => {
  const position = encodePosition(1n, BigInt(n));
  return { room, position, message: { type: 'issue.updated', position, n, text: 'ünïcødé' } };
};

describeWithRedis('Redis bus', () => {
  const buses: RedisBus[] = [];
  let prefix: string;
  const bus = (options: Partial<ConstructorParameters<typeof RedisBus>[0]> = {}) => {
    const b = new RedisBus({ url, prefix, ...options });
    buses.push(b);
    return b;
  };

  beforeEach(() => {
    prefix = `tt-test-${randomUUID()}:`;
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  it('delivers a batch to subscribers in another process, in order, serialized once', async () => {
    const a = bus();
    const b = bus();
    await Promise.all([a.ready(), b.ready()]);
    const received: BusMessage[] = [];
    b.subscribe('project:1', (m) => received.push(m));
    b.subscribe('project:2', () => {
      throw new Error('a broken listener must not stop the others');
    });
    await sleep(100); // the SUBSCRIBE reaches the server
    await a.publish([message('project:1', 1), message('project:2', 2), message('project:1', 3)]);
    await until(() => received.length === 2);
    expect(received.map((m) => m.position)).toEqual([encodePosition(1n, 1n), encodePosition(1n, 3n)]);
    expect(JSON.parse(received[0]!.payload)).toMatchObject({ type: 'issue.updated', n: 1, text: 'ünïcødé' });
  });

  it('stops delivering after the last listener of a room leaves', async () => {
    const a = bus();
    await a.ready();
    const received: BusMessage[] = [];
    const stop = a.subscribe('project:9', (m) => received.push(m));
    await sleep(100);
    await a.publish([message('project:9', 1)]);
    await until(() => received.length === 1);
    stop();
    await sleep(100);
    await a.publish([message('project:9', 2)]);
    await sleep(200);
    expect(received).toHaveLength(1);
    expect(a.roomCount).toBe(0);
  });

  it('resubscribes after the connection is killed and says so, so the server can fill the gap', async () => {
    let reconnects = 0;
    const name = randomUUID().slice(0, 8);
    const subscriberBus = bus({ name, onReconnect: () => (reconnects += 1) });
    const publisherBus = bus();
    await Promise.all([subscriberBus.ready(), publisherBus.ready()]);
    const received: BusMessage[] = [];
    subscriberBus.subscribe('project:r', (m) => received.push(m));
    await sleep(100);
    // Only this bus's subscriber: other suites may share the server.
    expect(await killRedisClient(url, `tt-bus-subscriber-${name}`)).toBeDefined();
    await until(() => reconnects >= 1);
    await sleep(200);
    await publisherBus.publish([message('project:r', 5)]);
    await until(() => received.length === 1);
  });

  it('fails fast when Redis cannot be reached instead of queueing', async () => {
    const unreachable = bus({ url: 'redis://127.0.0.1:1' });
    await expect(unreachable.publish([message('project:x', 1)])).rejects.toThrow();
  });
});

/**
 * When the bus's subscriber connection comes back, ioredis subscribes the rooms again, and the bus then tells the
 * servers to fill the gap from the feeds. A message published between the two (after the rooms are subscribed,
 * before the gap is signalled) must not reach a socket ahead of the gap's fill: it would move the socket's position
 * past what it missed, and the fill, which starts from that position, would never send it.
 *
 * The window is short in practice; here a proxy in front of Redis holds the bus's PING (the command whose answer
 * says "subscribed again") while the test publishes.
 */
import { randomUUID } from 'node:crypto';
import { connect as connectTcp, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestApi, type TestApi, type TestUser } from '../../../test/support/api';
import { eventually } from '../../../test/support/eventually';
import { anOrganization } from '../../../test/support/fixtures';
import { connect, type Served, serve } from '../../../test/support/realtime';
import { describeWithRedis, redisUrl } from '../../../test/support/redis';
import { RedisBus } from './redis-bus';

/** A proxy to Redis that can be cut, and that can hold the client's next PING (and what follows it) for a while. */
const stallingProxy = async (target: URL) => {
  const sockets = new Set<Socket>();
  let server: Server;
  let holdPingMs = 0;
  let subscribedAgain: () => void = () => undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve) => {
      server = createServer((client) => {
        const upstream = connectTcp(Number(target.port || 6379), target.hostname);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          for (const s of [client, upstream]) {
            s.destroy();
            sockets.delete(s);
          }
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        upstream.pipe(client);
        let held: Promise<void> = Promise.resolve();
        client.on('data', (chunk: Buffer) => {
          const text = chunk.toString('latin1');
          const ping = text.search(/\*1\r\n\$4\r\nping\r\n/i);
          if (/subscribe/i.test(text)) subscribedAgain();
          if (holdPingMs > 0 && ping >= 0) {
            const wait = holdPingMs;
            holdPingMs = 0;
            upstream.write(chunk.subarray(0, ping));
            const rest = chunk.subarray(ping);
            held = held.then(() => sleep(wait)).then(() => void upstream.write(rest));
          } else {
            held = held.then(() => void upstream.write(chunk));
          }
        });
      });
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const port = await listen(0);
  return {
    port,
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        sockets.clear();
      });
    },
    /** Listens again; the next PING is held for `ms`; resolves once a SUBSCRIBE went through. */
    async restoreHoldingPing(ms: number): Promise<void> {
      holdPingMs = ms;
      const subscribed = new Promise<void>((resolve) => {
        subscribedAgain = resolve;
      });
      await listen(port);
      await subscribed;
    },
  };
};

describeWithRedis('the Redis bus coming back', () => {
  let api: TestApi;
  let served: Served;
  let owner: TestUser;
  let projectId: string;
  let proxy: Awaited<ReturnType<typeof stallingProxy>>;
  const buses: RedisBus[] = [];

  beforeAll(async () => {
    const redis = new URL(redisUrl());
    proxy = await stallingProxy(redis);
    const prefix = `tt-test-${randomUUID()}:`;
    // The projector publishes straight to Redis; the rooms' server subscribes through the proxy.
    const publisher = new RedisBus({ url: redis.toString(), prefix });
    const subscriber = new RedisBus({ url: `redis://127.0.0.1:${proxy.port}`, prefix });
    buses.push(publisher, subscriber);
    api = await createTestApi({ publisher });
    served = await serve(api, subscriber);
    const shop = await anOrganization(api, 'Shop').withProject('P').build();
    [owner, projectId] = [shop.owner, shop.projects.P];
  });
  afterAll(async () => {
    await served.close();
    await api.teardown();
    await Promise.all(buses.map((b) => b.close()));
    await proxy.cut();
  });

  const create = (title: string) =>
    api.http.post('/api/v1/issues/').set(owner.auth).send({ project: projectId, title }).expect(201);

  it('never lets a message published right after the rooms are subscribed again overtake the gap it fills', async () => {
    const socket = connect(served.wsUrl(`/ws/projects/${projectId}/?token=${owner.access}`));
    await socket.opened;
    await sleep(200);
    await create('Before');
    await socket.waitFor(1);

    await proxy.cut();
    await create('Lost to the outage'); // published while the subscriber is away
    await proxy.restoreHoldingPing(1500); // subscribed again; the PING (and so the gap's fill) waits
    await create('Right after the resubscription');
    await eventually(() => expect(socket.messages.map((m) => m.title)).toHaveLength(3), 15_000);
    await sleep(300);
    expect(socket.messages.map((m) => m.title)).toEqual([
      'Before',
      'Lost to the outage',
      'Right after the resubscription',
    ]);
    await socket.close();
  });
});

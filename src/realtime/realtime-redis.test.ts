import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { createTestApi, type TestApi, type TestUser } from '../../test/support/api';
import { addMember, anOrganization } from '../../test/support/fixtures';
import { connect, killRedisClient, removeMember, type Served, serve } from '../../test/support/realtime';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy';
import { RedisBus } from './bus/redis-bus';
import { describeWithRedis, redisUrl } from '../../test/support/redis';

const redis = new URL(redisUrl());

describeWithRedis('realtime over Redis, across processes', () => {
  let api: TestApi;
  let proxy: TcpProxy;
  let prefix: string;
  const buses: RedisBus[] = [];
  const servers: Served[] = [];
  let owner: TestUser;
  let organizationId: string;
  let projectId: string;
  const publisherName = `projector-${randomUUID().slice(0, 8)}`;

  const bus = (via: 'proxy' | 'direct') => {
    const url = via === 'proxy' ? `redis://127.0.0.1:${proxy.port}` : redis.toString();
    const b = new RedisBus({ url, prefix });
    buses.push(b);
    return b;
  };

  beforeAll(async () => {
    proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    prefix = `tt-test-${randomUUID()}:`;
    // The projector's process publishes through the proxy, so the test can take "Redis" away from it.
    const publisher = new RedisBus({ url: `redis://127.0.0.1:${proxy.port}`, prefix, name: publisherName });
    buses.push(publisher);
    api = await createTestApi({ publisher });
    const shared = await anOrganization(api, 'Shared').withProject('P').build();
    [owner, organizationId, projectId] = [shared.owner, shared.id, shared.projects.P];
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await api.teardown();
    await Promise.all(buses.map((b) => b.close()));
    await proxy.close();
  });

  const room = (s: Served, query = '') => s.wsUrl(`/ws/projects/${projectId}/?token=${owner.access}${query}`);
  const create = (title: string) =>
    api.http.post('/api/v1/issues/').set(owner.auth).send({ project: projectId, title }).expect(201);
  /** Rooms served over a bus of their own, with a socket in the project's room once the room is subscribed. */
  const servedSocket = async (via: 'proxy' | 'direct') => {
    const served = await serve(api, bus(via));
    servers.push(served);
    const socket = connect(room(served));
    await socket.opened;
    await sleep(200);
    return { served, socket };
  };

  it('two app processes sharing one Redis deliver the same messages in the same order', async () => {
    const [{ socket: a }, { socket: b }] = await Promise.all([
      servedSocket('direct'),
      servedSocket('direct'),
    ]);
    for (let i = 0; i < 10; i++) await create(`Shared ${i}`);
    await Promise.all([a.waitFor(10), b.waitFor(10)]);
    expect(a.messages.map((m) => m.position)).toEqual(b.messages.map((m) => m.position));
    expect(a.messages.map((m) => m.title)).toEqual(Array.from({ length: 10 }, (_, i) => `Shared ${i}`));
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps REST working while Redis is down, and sockets miss nothing once it is back', async () => {
    const { served, socket: live } = await servedSocket('proxy');
    const before = await create('Before the outage');
    await live.waitFor(1);

    await proxy.cut();
    const during = [];
    for (const title of ['During 1', 'During 2']) during.push(await create(title)); // REST answers while Redis is down
    const resumer = connect(room(served, `&since=${before.headers['x-position']}`));
    await resumer.waitFor(2); // a client resuming from the feed misses nothing even now

    await proxy.restore();
    // The socket that stayed connected gets what it missed from the feed once the bus reconnects.
    await live.waitFor(3, 15_000);
    await create('After the outage');
    await live.waitFor(4, 10_000);
    await resumer.waitFor(3, 10_000);
    await sleep(200);
    expect(live.messages.map((m) => m.title)).toEqual([
      'Before the outage',
      'During 1',
      'During 2',
      'After the outage',
    ]);
    expect(resumer.messages.map((m) => m.title)).toEqual(['During 1', 'During 2', 'After the outage']);
    await Promise.all([live.close(), resumer.close()]);
  });

  it('fills the gap when only the projector lost its Redis connection and a publish failed', async () => {
    const { socket } = await servedSocket('direct');
    await create('Gap A');
    await socket.waitFor(1);
    expect(await killRedisClient(redis.toString(), `tt-bus-publisher-${publisherName}`)).toBeDefined();
    await create('Gap B'); // its publish may fail: the socket must get it all the same
    await create('Gap C');
    await socket.waitFor(3, 15_000);
    await sleep(300);
    expect(socket.messages.map((m) => m.title)).toEqual(['Gap A', 'Gap B', 'Gap C']);
    await socket.close();
  });

  /** A new member's socket in the project's room, on rooms served over their own bus. */
  const memberSocket = async (via: 'proxy' | 'direct') => {
    const member = await api.user('member');
    await addMember(api, owner, organizationId, member.id);
    const remove = () => removeMember(api, owner, organizationId, member.id);
    const served = await serve(api, bus(via));
    servers.push(served);
    const socket = connect(served.wsUrl(`/ws/projects/${projectId}/?token=${member.access}`));
    await socket.opened;
    await sleep(200);
    return { socket, remove };
  };

  it("closes a removed member's socket on another process with 4003, announced through Redis", async () => {
    const { socket, remove } = await memberSocket('direct');
    const started = Date.now();
    await remove();
    expect((await socket.closed).code).toBe(4003);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("closes a removed member's socket once Redis is back, when the announcement was lost to the outage", async () => {
    const { socket, remove } = await memberSocket('proxy');
    await proxy.cut();
    await remove(); // its announcement cannot reach Redis, nor this process
    await sleep(300);
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    await proxy.restore();
    expect((await socket.closed).code).toBe(4003);
  });
});

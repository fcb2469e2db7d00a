import { WebSocket } from 'ws';
import { encodePosition } from '../eventstore/port';
import { createTestApi, type TestApi, type TestUser } from '../../test/support/api';
import { connect, type Served, serve } from '../../test/support/realtime';

describe('socket health: heartbeats, slow consumers, metrics, shutdown', () => {
  let api: TestApi;
  let served: Served;
  let owner: TestUser;
  let projectId: string;
  const counts = { opened: 0, closed: 0, sent: 0, dropped: 0 };

  beforeAll(async () => {
    api = await createTestApi();
    served = await serve(api, api.bus, {
      heartbeatMs: 150,
      maxBufferedBytes: 256 * 1024,
      metrics: {
        socketOpened: () => (counts.opened += 1),
        socketClosed: () => (counts.closed += 1),
        messagesSent: (_route, n) => (counts.sent += n),
        slowSocketDropped: () => (counts.dropped += 1),
      },
    });
    owner = await api.user('owner');
    const org = (
      await api.http.post('/api/v1/organizations/').set(owner.auth).send({ name: 'Health' }).expect(201)
    ).body.id;
    projectId = (
      await api.http
        .post('/api/v1/projects/')
        .set(owner.auth)
        .send({ organization: org, name: 'P' })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await served.close();
    await api.teardown();
  });

  const url = () => served.wsUrl(`/ws/projects/${projectId}/?token=${owner.access}`);

  it('keeps answering sockets and drops one that stops answering pings', async () => {
    const healthy = connect(url());
    const dead = new WebSocket(url(), { autoPong: false });
    const deadClosed = new Promise<number>((resolve) => dead.on('close', (code) => resolve(code)));
    await healthy.opened;
    expect(await deadClosed).toBe(1006); // terminated without a close frame
    await new Promise((r) => setTimeout(r, 400));
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
    await healthy.close();
  });

  it('closes a socket that cannot keep up with 1013 instead of buffering without bound', async () => {
    const slow = connect(url());
    await slow.opened;
    await new Promise((r) => setTimeout(r, 100));
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const before = counts.dropped;
    for (let i = 1; i <= 40; i++) {
      const position = encodePosition(0xffffffn, BigInt(i));
      await api.bus.publish([
        {
          room: `project:${projectId}`,
          position,
          message: { type: 'issue.updated', position, padding: 'x'.repeat(1_000_000) },
        },
      ]);
      if (counts.dropped > before) break;
    }
    expect(counts.dropped).toBe(before + 1);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slow.closed).code).toBe(1013);
  });

  it('counts open sockets, messages sent and closes', async () => {
    await new Promise((r) => setTimeout(r, 500)); // sockets of earlier tests finish closing
    const before = { ...counts };
    const socket = connect(url());
    await socket.opened;
    await new Promise((r) => setTimeout(r, 100));
    expect(served.realtime.stats().projects).toBeGreaterThanOrEqual(1);
    await api.http
      .post('/api/v1/issues/')
      .set(owner.auth)
      .send({ project: projectId, title: 'Counted' })
      .expect(201);
    await socket.waitFor(1);
    await socket.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(counts.opened).toBe(before.opened + 1);
    expect(counts.sent).toBeGreaterThan(before.sent);
    expect(counts.closed).toBe(before.closed + 1);
  });

  it('closes every socket with 1001 on shutdown', async () => {
    const extra = await serve(api);
    const socket = connect(extra.wsUrl(`/ws/projects/${projectId}/?token=${owner.access}`));
    await socket.opened;
    await extra.close();
    expect((await socket.closed).code).toBe(1001);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { encodePosition } from '../eventstore/port';
import { anOrganization } from '../../test/support/fixtures';
import { connect, serve, useServedRooms } from '../../test/support/realtime';
import { useFixture, useTestApi } from '../../test/support/suite';

describe('socket health: heartbeats, slow consumers, metrics, shutdown', () => {
  const counts = { opened: 0, closed: 0, sent: 0, dropped: 0 };
  const api = useTestApi();
  const served = useServedRooms(api, {
    heartbeatMs: 150,
    maxBufferedBytes: 256 * 1024,
    metrics: {
      socketOpened: () => (counts.opened += 1),
      socketClosed: () => (counts.closed += 1),
      messagesSent: (_route, n) => (counts.sent += n),
      slowSocketDropped: () => (counts.dropped += 1),
    },
  });
  const health = useFixture(() => anOrganization(api, 'Health').withProject('P').build());

  const url = () => served.wsUrl(`/ws/projects/${health.projects.P}/?token=${health.owner.access}`);

  it('keeps answering sockets and drops one that stops answering pings', async () => {
    const healthy = connect(url());
    const dead = new WebSocket(url(), { autoPong: false });
    const deadClosed = new Promise<number>((resolve) => dead.on('close', (code) => resolve(code)));
    await healthy.opened;
    expect(await deadClosed).toBe(1006); // terminated without a close frame
    await sleep(400);
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
    await healthy.close();
  });

  it('closes a socket that cannot keep up with 1013 instead of buffering without bound', async () => {
    const slow = connect(url());
    await slow.opened;
    await sleep(100);
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const before = counts.dropped;
    for (let i = 1; i <= 40; i++) {
      const position = encodePosition(0xffffffn, BigInt(i));
      await api.bus.publish([
        {
          room: `project:${health.projects.P}`,
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
    await sleep(500); // sockets of earlier tests finish closing
    const before = { ...counts };
    const socket = connect(url());
    await socket.opened;
    await sleep(100);
    expect(served.realtime.stats().projects).toBeGreaterThanOrEqual(1);
    await api.http
      .post('/api/v1/issues/')
      .set(health.owner.auth)
      .send({ project: health.projects.P, title: 'Counted' })
      .expect(201);
    await socket.waitFor(1);
    await socket.close();
    await sleep(50);
    expect(counts.opened).toBe(before.opened + 1);
    expect(counts.sent).toBeGreaterThan(before.sent);
    expect(counts.closed).toBe(before.closed + 1);
  });

  it('closes every socket with 1001 on shutdown', async () => {
    const extra = await serve(api);
    const socket = connect(extra.wsUrl(`/ws/projects/${health.projects.P}/?token=${health.owner.access}`));
    await socket.opened;
    await extra.close();
    expect((await socket.closed).code).toBe(1001);
  });
});

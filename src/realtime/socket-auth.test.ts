/**
 * A socket lives no longer than its right to: it closes with 4001 when its access token expires and when its
 * login ends (logout, or a reused refresh token revoking the family) on any API process; a user has a bounded
 * number of sockets (4029 beyond); a client that never answers the close handshake is cut; ids in any case.
 */
import { randomUUID } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import jwt from 'jsonwebtoken';
import { createTestApi, type TestUser } from '../../test/support/api';
import { anOrganization } from '../../test/support/fixtures';
import { connect, serve, useServedRooms } from '../../test/support/realtime';
import { useFixture, useTestApi } from '../../test/support/suite';
import { RedisBus } from './bus/redis-bus';
import { CLOSE } from './protocol';
import { describeWithRedis, redisUrl } from '../../test/support/redis';

const REDIS_URL = redisUrl();

describe('socket lifetime and limits', () => {
  const api = useTestApi();
  const served = useServedRooms(api, { maxSocketsPerUser: 3, closeTimeoutMs: 500 });
  const home = useFixture(() => anOrganization(api, 'Sockets').withProject('P').build());

  const notifications = (token: string) => connect(served.wsUrl(`/ws/notifications/?token=${token}`));
  const login = async (user: TestUser) =>
    (
      await api.http
        .post('/api/v1/auth/login/')
        .send({ username: user.username, password: 'correct horse battery staple' })
        .expect(200)
    ).body as { access: string; refresh: string };

  it('closes a socket with 4001 when its access token expires', async () => {
    const { key, algorithm, issuer, audience } = api.system.tokens;
    const token = jwt.sign({}, key, { algorithm, subject: home.owner.id, issuer, audience, expiresIn: 2 });
    const socket = connect(served.wsUrl(`/ws/projects/${home.projects.P}/?token=${token}`));
    await socket.opened;
    const started = Date.now();
    const closed = await socket.closed;
    expect(closed.code).toBe(CLOSE.notAuthenticated);
    expect(closed.reason).toMatch(/expired/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('closes the sockets of a login with 4001 on logout, and refuses that login afterwards', async () => {
    const user = await api.user('leaver');
    const other = await login(user);
    const [project, personal, otherLogin] = [
      connect(served.wsUrl(`/ws/projects/${home.projects.P}/?token=${user.access}`)),
      notifications(user.access),
      notifications(other.access),
    ];
    await Promise.all([personal.opened, otherLogin.opened, project.opened]);
    await api.http.post('/api/v1/auth/logout/').set(user.auth).send({ refresh: user.refresh }).expect(204);
    expect((await personal.closed).code).toBe(CLOSE.notAuthenticated);
    // The project route is for members only; either way it must be closed by now.
    expect([CLOSE.notAuthenticated, CLOSE.notMember]).toContain((await project.closed).code);
    const again = notifications(user.access);
    expect((await again.closed).code).toBe(CLOSE.notAuthenticated);
    // The user's other login is not affected.
    await sleep(200);
    expect(otherLogin.ws.readyState).toBe(otherLogin.ws.OPEN);
    await otherLogin.close();
  });

  it('closes the sockets of a family revoked because a spent refresh token came back', async () => {
    const user = await api.user('leaked');
    const socket = notifications(user.access);
    await socket.opened;
    await api.http.post('/api/v1/auth/refresh/').send({ refresh: user.refresh }).expect(200);
    await api.http.post('/api/v1/auth/refresh/').send({ refresh: user.refresh }).expect(401); // reuse
    expect((await socket.closed).code).toBe(CLOSE.notAuthenticated);
  });

  it('caps the open sockets of one user with 4029, and lets a new one in once one closed', async () => {
    const user = await api.user('many');
    const sockets = [notifications(user.access), notifications(user.access), notifications(user.access)];
    await Promise.all(sockets.map((s) => s.opened));
    const fourth = notifications(user.access);
    const refused = await fourth.closed;
    expect(refused.code).toBe(CLOSE.tooManySockets);
    // Another user is not limited by this one's sockets.
    const neighbour = notifications(home.owner.access);
    await neighbour.opened;
    await sockets[0]!.close();
    await sleep(100);
    const fifth = notifications(user.access);
    await fifth.opened;
    await Promise.all([...sockets.slice(1), fifth, neighbour].map((s) => s.close()));
  });

  it('cuts a client that never answers the close handshake of a socket it refused', async () => {
    const url = new URL(served.wsUrl('/ws/notifications/'));
    const started = Date.now();
    const ended = await new Promise<number>((resolve, reject) => {
      const socket = netConnect(Number(url.port), url.hostname, () => {
        socket.write(
          [
            'GET /ws/notifications/ HTTP/1.1',
            `Host: ${url.host}`,
            'Upgrade: websocket',
            'Connection: Upgrade',
            'Sec-WebSocket-Version: 13',
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
            '',
            '',
          ].join('\r\n'),
        );
      });
      // Reads the 101 and the server's close frame, and never sends a close frame back.
      socket.on('data', () => undefined);
      socket.on('close', () => resolve(Date.now() - started));
      socket.on('error', reject);
      setTimeout(() => reject(new Error('the server never cut the connection')), 10_000).unref();
    });
    expect(ended).toBeLessThan(3000);
  });

  it('takes a project id in upper case into the same room as in lower case', async () => {
    const before = served.realtime.stats().rooms;
    const lower = connect(served.wsUrl(`/ws/projects/${home.projects.P}/?token=${home.owner.access}`));
    const upper = connect(
      served.wsUrl(`/ws/projects/${home.projects.P.toUpperCase()}/?token=${home.owner.access}`),
    );
    await Promise.all([lower.opened, upper.opened]);
    await sleep(100);
    expect(served.realtime.stats().rooms).toBe(before + 1);
    await api.http
      .post('/api/v1/issues/')
      .set(home.owner.auth)
      .send({ project: home.projects.P, title: 'Loud' })
      .expect(201);
    const [fromLower] = await lower.waitFor(1);
    const [fromUpper] = await upper.waitFor(1);
    expect(fromUpper).toEqual(fromLower);
    await Promise.all([lower.close(), upper.close()]);
  });
});

describeWithRedis('logout closes sockets on every API process', () => {
  it('reaches a socket served by another process through Redis', async () => {
    const prefix = `tt-test-${randomUUID()}:`;
    const apiBus = new RedisBus({ url: REDIS_URL, prefix });
    const otherBus = new RedisBus({ url: REDIS_URL, prefix });
    const api = await createTestApi({ publisher: apiBus });
    const elsewhere = await serve(api, otherBus);
    try {
      const user = await api.user('roaming');
      const socket = connect(elsewhere.wsUrl(`/ws/notifications/?token=${user.access}`));
      await socket.opened;
      await api.http.post('/api/v1/auth/logout/').set(user.auth).send({ refresh: user.refresh }).expect(204);
      expect((await socket.closed).code).toBe(CLOSE.notAuthenticated);
    } finally {
      await elsewhere.close();
      await api.teardown();
      await Promise.all([apiBus.close(), otherBus.close()]);
    }
  });
});

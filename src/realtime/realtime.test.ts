import { setTimeout as sleep } from 'node:timers/promises';
import type { TestUser } from '../../test/support/api';
import { anOrganization } from '../../test/support/fixtures';
import { connect, useServedRooms } from '../../test/support/realtime';
import { useFixture, useTestApi } from '../../test/support/suite';

describe('realtime project rooms', () => {
  const api = useTestApi();
  const served = useServedRooms(api);
  const live = useFixture(() => anOrganization(api, 'Live').withMember('member').withProject('Room').build());
  const outsider = useFixture(() => api.user('outsider'));

  const room = (user: TestUser, query = '') =>
    served.wsUrl(`/ws/projects/${live.projects.Room}/?token=${user.access}${query}`);

  it('sends members issue.created and issue.updated with the field changes', async () => {
    const socket = connect(room(live.member));
    await socket.opened;
    await sleep(100);
    const created = await api.http
      .post('/api/v1/issues/')
      .set(live.owner.auth)
      .send({ project: live.projects.Room, title: 'Live one' })
      .expect(201);
    await api.http
      .patch(`/api/v1/issues/${created.body.id}/`)
      .set(live.member.auth)
      .send({ status: 'done', assigned_to_id: live.member.id })
      .expect(200);
    const messages = await socket.waitFor(3);
    expect(messages[0]).toMatchObject({
      type: 'issue.created',
      issue_id: created.body.id,
      project_id: live.projects.Room,
      title: 'Live one',
      actor_id: live.owner.id,
      position: created.headers['x-position'],
      issue: { id: created.body.id, title: 'Live one', status: 'open' },
    });
    expect(messages[1]).toMatchObject({
      type: 'issue.updated',
      changes: { status: ['open', 'done'] },
      status: 'done',
    });
    expect(messages[2]).toMatchObject({
      type: 'issue.updated',
      changes: { assigned_to: [null, { id: live.member.id, username: live.member.username }] },
    });
    expect(typeof messages[0]!.occurred_at).toBe('string');
    await socket.close();
  });

  it('takes the token from the Authorization header or the bearer subprotocol', async () => {
    const viaHeader = connect(served.wsUrl(`/ws/projects/${live.projects.Room}`), {
      headers: { Authorization: `Bearer ${live.member.access}` },
    });
    const viaProtocol = connect(served.wsUrl(`/ws/projects/${live.projects.Room}/`), {
      protocols: [`bearer.${live.member.access}`],
    });
    await Promise.all([viaHeader.opened, viaProtocol.opened]);
    await api.http
      .post('/api/v1/issues/')
      .set(live.owner.auth)
      .send({ project: live.projects.Room, title: 'Both see it' })
      .expect(201);
    await Promise.all([viaHeader.waitFor(1), viaProtocol.waitFor(1)]);
    await Promise.all([viaHeader.close(), viaProtocol.close()]);
  });

  it('closes with 4001 without a valid token, 4003 for a non-member and 4004 for an unknown project', async () => {
    expect((await connect(served.wsUrl(`/ws/projects/${live.projects.Room}/`)).closed).code).toBe(4001);
    expect(
      (await connect(served.wsUrl(`/ws/projects/${live.projects.Room}/?token=garbage`)).closed).code,
    ).toBe(4001);
    expect((await connect(room(outsider)).closed).code).toBe(4003);
    const unknown = connect(
      served.wsUrl(`/ws/projects/0190d7a6-0000-7000-8000-000000000000/?token=${live.member.access}`),
    );
    expect((await unknown.closed).code).toBe(4004);
    expect(
      (await connect(served.wsUrl(`/ws/projects/not-a-uuid/?token=${live.member.access}`)).closed).code,
    ).toBe(4004);
  });

  it('replays exactly the missed messages after since, then continues live', async () => {
    const first = await api.http
      .post('/api/v1/issues/')
      .set(live.owner.auth)
      .send({ project: live.projects.Room, title: 'Seen' })
      .expect(201);
    const seen = first.headers['x-position'] as string;
    const missed = [];
    for (const title of ['Missed 1', 'Missed 2', 'Missed 3']) {
      missed.push(
        (
          await api.http
            .post('/api/v1/issues/')
            .set(live.owner.auth)
            .send({ project: live.projects.Room, title })
            .expect(201)
        ).body.id,
      );
    }
    const socket = connect(room(live.member, `&since=${seen}`));
    await socket.waitFor(3);
    await api.http
      .post('/api/v1/issues/')
      .set(live.owner.auth)
      .send({ project: live.projects.Room, title: 'Live after' })
      .expect(201);
    const messages = await socket.waitFor(4);
    await sleep(200);
    expect(socket.messages.map((m) => m.title)).toEqual(['Missed 1', 'Missed 2', 'Missed 3', 'Live after']);
    const positions = socket.messages.map((m) => m.position as string);
    expect([...positions].sort()).toEqual(positions);
    expect(messages[0]!.issue_id).toBe(missed[0]);
    await socket.close();
  });

  it('answers a since that is not a position with resync', async () => {
    const socket = connect(room(live.member, '&since=yesterday'));
    const [message] = await socket.waitFor(1);
    expect(message).toEqual({ type: 'resync' });
    await socket.close();
  });

  it('closes the socket of a member removed while connected with 4003', async () => {
    const leaver = await api.user('leaver');
    await api.http
      .post(`/api/v1/organizations/${live.id}/members/`)
      .set(live.owner.auth)
      .send({ user_id: leaver.id })
      .expect(201);
    const socket = connect(room(leaver));
    await socket.opened;
    const started = Date.now();
    await api.http
      .delete(`/api/v1/organizations/${live.id}/members/${leaver.id}/`)
      .set(live.owner.auth)
      .expect(204);
    const { code } = await socket.closed;
    expect(code).toBe(4003);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('serves the notifications route: the user room and broadcasts, 4001 without a token', async () => {
    expect((await connect(served.wsUrl('/ws/notifications/')).closed).code).toBe(4001);
    const socket = connect(served.wsUrl(`/ws/notifications?token=${live.member.access}`));
    await socket.opened;
    const position = '00000000000000ff-0000000000000001';
    await api.bus.publish([
      {
        room: 'broadcast',
        position,
        message: { type: 'broadcast', position, message: 'maintenance at noon' },
      },
      {
        room: `user:${outsider.id}`,
        position,
        message: { type: 'notification', position, notification: {} },
      },
    ]);
    const [message] = await socket.waitFor(1);
    expect(message).toMatchObject({ type: 'broadcast', message: 'maintenance at noon' });
    await sleep(100);
    expect(socket.messages).toHaveLength(1); // another user's notification is not ours
    await socket.close();
  });

  it('survives upgrade requests whose path cannot be parsed', async () => {
    const { request } = await import('node:http');
    const url = new URL(served.wsUrl('/'));
    for (const path of ['/ws/projects/%E0%A4%A/', '//']) {
      const status = await new Promise<number>((resolve) => {
        const req = request({
          host: url.hostname,
          port: url.port,
          path,
          headers: {
            Connection: 'Upgrade',
            Upgrade: 'websocket',
            'Sec-WebSocket-Version': '13',
            'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          },
        });
        req.on('response', (res) => resolve(res.statusCode ?? 0));
        req.on('upgrade', () => resolve(101));
        req.on('error', () => resolve(-1));
        req.end();
      });
      expect([400, 404]).toContain(status);
    }
    await api.http.get('/healthz').expect(200); // the process is still serving
  });

  it('leaves no room behind for sockets that close while they connect', async () => {
    const { WebSocket } = await import('ws');
    const before = served.realtime.stats().rooms;
    const busBefore = api.bus.roomCount;
    await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<void>((resolve) => {
            const ws = new WebSocket(room(live.member));
            ws.on('open', () => ws.terminate());
            ws.on('close', () => resolve());
            ws.on('error', () => resolve());
          }),
      ),
    );
    await sleep(500);
    expect(served.realtime.stats()).toMatchObject({ projects: 0, rooms: before });
    expect(api.bus.roomCount).toBe(busBefore);
  });

  it('refuses upgrades on unknown paths', async () => {
    const socket = connect(served.wsUrl('/ws/elsewhere/'));
    await expect(socket.opened).rejects.toThrow(/404/);
  });
});

import { createTestApi, type TestApi, type TestUser } from '../../test/support/api';
import { connect, type Served, serve } from '../../test/support/realtime';

describe('realtime project rooms', () => {
  let api: TestApi;
  let served: Served;
  let owner: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  let organizationId: string;
  let projectId: string;

  beforeAll(async () => {
    api = await createTestApi();
    served = await serve(api);
    [owner, member, outsider] = [
      await api.user('owner'),
      await api.user('member'),
      await api.user('outsider'),
    ];
    organizationId = (
      await api.http.post('/api/v1/organizations/').set(owner.auth).send({ name: 'Live' }).expect(201)
    ).body.id;
    await api.http
      .post(`/api/v1/organizations/${organizationId}/members/`)
      .set(owner.auth)
      .send({ user_id: member.id, role: 'member' })
      .expect(201);
    projectId = (
      await api.http
        .post('/api/v1/projects/')
        .set(owner.auth)
        .send({ organization: organizationId, name: 'Room' })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await served.close();
    await api.teardown();
  });

  const room = (user: TestUser, query = '') =>
    served.wsUrl(`/ws/projects/${projectId}/?token=${user.access}${query}`);

  it('sends members issue.created and issue.updated with the field changes', async () => {
    const socket = connect(room(member));
    await socket.opened;
    await new Promise((r) => setTimeout(r, 100));
    const created = await api.http
      .post('/api/v1/issues/')
      .set(owner.auth)
      .send({ project: projectId, title: 'Live one' })
      .expect(201);
    await api.http
      .patch(`/api/v1/issues/${created.body.id}/`)
      .set(member.auth)
      .send({ status: 'done', assigned_to_id: member.id })
      .expect(200);
    const messages = await socket.waitFor(3);
    expect(messages[0]).toMatchObject({
      type: 'issue.created',
      issue_id: created.body.id,
      project_id: projectId,
      title: 'Live one',
      actor_id: owner.id,
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
      changes: { assigned_to: [null, { id: member.id, username: member.username }] },
    });
    expect(typeof messages[0]!.occurred_at).toBe('string');
    await socket.close();
  });

  it('takes the token from the Authorization header or the bearer subprotocol', async () => {
    const viaHeader = connect(served.wsUrl(`/ws/projects/${projectId}`), {
      headers: { Authorization: `Bearer ${member.access}` },
    });
    const viaProtocol = connect(served.wsUrl(`/ws/projects/${projectId}/`), {
      protocols: [`bearer.${member.access}`],
    });
    await Promise.all([viaHeader.opened, viaProtocol.opened]);
    await api.http
      .post('/api/v1/issues/')
      .set(owner.auth)
      .send({ project: projectId, title: 'Both see it' })
      .expect(201);
    await Promise.all([viaHeader.waitFor(1), viaProtocol.waitFor(1)]);
    await Promise.all([viaHeader.close(), viaProtocol.close()]);
  });

  it('closes with 4001 without a valid token, 4003 for a non-member and 4004 for an unknown project', async () => {
    expect((await connect(served.wsUrl(`/ws/projects/${projectId}/`)).closed).code).toBe(4001);
    expect((await connect(served.wsUrl(`/ws/projects/${projectId}/?token=garbage`)).closed).code).toBe(4001);
    expect((await connect(room(outsider)).closed).code).toBe(4003);
    const unknown = connect(
      served.wsUrl(`/ws/projects/0190d7a6-0000-7000-8000-000000000000/?token=${member.access}`),
    );
    expect((await unknown.closed).code).toBe(4004);
    expect((await connect(served.wsUrl(`/ws/projects/not-a-uuid/?token=${member.access}`)).closed).code).toBe(
      4004,
    );
  });

  it('replays exactly the missed messages after since, then continues live', async () => {
    const first = await api.http
      .post('/api/v1/issues/')
      .set(owner.auth)
      .send({ project: projectId, title: 'Seen' })
      .expect(201);
    const seen = first.headers['x-position'] as string;
    const missed = [];
    for (const title of ['Missed 1', 'Missed 2', 'Missed 3']) {
      missed.push(
        (
          await api.http
            .post('/api/v1/issues/')
            .set(owner.auth)
            .send({ project: projectId, title })
            .expect(201)
        ).body.id,
      );
    }
    const socket = connect(room(member, `&since=${seen}`));
    await socket.waitFor(3);
    await api.http
      .post('/api/v1/issues/')
      .set(owner.auth)
      .send({ project: projectId, title: 'Live after' })
      .expect(201);
    const messages = await socket.waitFor(4);
    await new Promise((r) => setTimeout(r, 200));
    expect(socket.messages.map((m) => m.title)).toEqual(['Missed 1', 'Missed 2', 'Missed 3', 'Live after']);
    const positions = socket.messages.map((m) => m.position as string);
    expect([...positions].sort()).toEqual(positions);
    expect(messages[0]!.issue_id).toBe(missed[0]);
    await socket.close();
  });

  it('answers a since that is not a position with resync', async () => {
    const socket = connect(room(member, '&since=yesterday'));
    const [message] = await socket.waitFor(1);
    expect(message).toEqual({ type: 'resync' });
    await socket.close();
  });

  it('closes the socket of a member removed while connected with 4003', async () => {
    const leaver = await api.user('leaver');
    await api.http
      .post(`/api/v1/organizations/${organizationId}/members/`)
      .set(owner.auth)
      .send({ user_id: leaver.id })
      .expect(201);
    const socket = connect(room(leaver));
    await socket.opened;
    const started = Date.now();
    await api.http
      .delete(`/api/v1/organizations/${organizationId}/members/${leaver.id}/`)
      .set(owner.auth)
      .expect(204);
    const { code } = await socket.closed;
    expect(code).toBe(4003);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('serves the notifications route: the user room and broadcasts, 4001 without a token', async () => {
    expect((await connect(served.wsUrl('/ws/notifications/')).closed).code).toBe(4001);
    const socket = connect(served.wsUrl(`/ws/notifications?token=${member.access}`));
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
    await new Promise((r) => setTimeout(r, 100));
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
            const ws = new WebSocket(room(member));
            ws.on('open', () => ws.terminate());
            ws.on('close', () => resolve());
            ws.on('error', () => resolve());
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(served.realtime.stats()).toMatchObject({ projects: 0, rooms: before });
    expect(api.bus.roomCount).toBe(busBefore);
  });

  it('refuses upgrades on unknown paths', async () => {
    const socket = connect(served.wsUrl('/ws/elsewhere/'));
    await expect(socket.opened).rejects.toThrow(/404/);
  });
});

import { createTestApi, type TestApi, type TestUser } from '../../test/support/api';

describe('Idempotency-Key retries as clients send them', () => {
  let api: TestApi;
  let user: TestUser;
  let projectId: string;
  beforeAll(async () => {
    api = await createTestApi();
    user = await api.user('retrier');
    const org = (
      await api.http.post('/api/v1/organizations/').set(user.auth).send({ name: 'Retries' }).expect(201)
    ).body.id;
    projectId = (
      await api.http
        .post('/api/v1/projects/')
        .set(user.auth)
        .send({ organization: org, name: 'P' })
        .expect(201)
    ).body.id;
  });
  afterAll(() => api.teardown());

  const post = (key: string, body: string) =>
    api.http
      .post('/api/v1/issues/')
      .set(user.auth)
      .set('Idempotency-Key', key)
      .set('Content-Type', 'application/json')
      .send(body);

  it('treats the same body with its keys in another order as the same request', async () => {
    const first = await post('order-1', `{"title":"Ordered","project":"${projectId}"}`).expect(201);
    const again = await post('order-1', `{"project":"${projectId}","title":"Ordered"}`).expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('gives retries sent while the first request runs the first answer, appending once', async () => {
    const body = `{"project":"${projectId}","title":"Raced"}`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('race-1', body)));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const list = await api.http
      .get(`/api/v1/issues/?project=${projectId}&search=Raced`)
      .set(user.auth)
      .expect(200);
    expect(list.body.results).toHaveLength(1);
  });

  it('creates once when the client gave up on the first answer and retries with the same key', async () => {
    const { createServer } = await import('node:http');
    const server = createServer(api.system.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const body = JSON.stringify({ project: projectId, title: 'Abandoned' });
    // The first request is cut off by the client before the answer comes back.
    const controller = new AbortController();
    const first = fetch(`http://127.0.0.1:${port}/api/v1/issues/`, {
      method: 'POST',
      headers: { ...user.auth, 'Content-Type': 'application/json', 'Idempotency-Key': 'gave-up-1' },
      body,
      signal: controller.signal,
    }).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    controller.abort();
    await first;
    await new Promise((r) => setTimeout(r, 300));
    const retry = await post('gave-up-1', body);
    expect([201, 202]).toContain(retry.status);
    server.close();
    const list = await api.http
      .get(`/api/v1/issues/?project=${projectId}&search=Abandoned`)
      .set(user.auth)
      .expect(200);
    expect(list.body.results).toHaveLength(1);
    const { rows } = await api.pool.query(
      "SELECT count(*)::int AS n FROM events WHERE type = 'IssueCreated' AND data->>'title' = 'Abandoned'",
    );
    expect(rows[0].n).toBe(1);
  });

  it('refuses a body nested too deeply to compare with 400, not 500', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 200; i++) deep = { a: deep };
    const res = await post('deep-1', JSON.stringify({ project: projectId, title: 'Deep', extra: deep }));
    expect(res.status).toBe(400);
  });

  it('takes upper-case UUIDs as the same ids', async () => {
    const created = await api.http
      .post('/api/v1/issues/')
      .set(user.auth)
      .send({ project: projectId.toUpperCase(), title: 'Shouted' })
      .expect(201);
    expect(created.body.project).toBe(projectId);
    await api.http.get(`/api/v1/issues/${created.body.id.toUpperCase()}/`).set(user.auth).expect(200);
    await api.http
      .patch(`/api/v1/issues/${created.body.id.toUpperCase()}/`)
      .set(user.auth)
      .send({ priority: 'low' })
      .expect(200);
  });
});

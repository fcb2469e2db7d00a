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

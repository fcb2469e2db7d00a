import { anOrganization } from '../../test/support/fixtures';
import { useFixture, useTestApi } from '../../test/support/suite';

describe('Idempotency-Key retries as clients send them', () => {
  const api = useTestApi();
  /** One user, owner of an organization with a project. */
  const retries = useFixture(() => anOrganization(api, 'Retries').withProject('P').build());

  const post = (key: string, body: string) =>
    api.http
      .post('/api/v1/issues/')
      .set(retries.owner.auth)
      .set('Idempotency-Key', key)
      .set('Content-Type', 'application/json')
      .send(body);

  it('treats the same body with its keys in another order as the same request', async () => {
    const first = await post('order-1', `{"title":"Ordered","project":"${retries.projects.P}"}`).expect(201);
    const again = await post('order-1', `{"project":"${retries.projects.P}","title":"Ordered"}`).expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('gives retries sent while the first request runs the first answer, appending once', async () => {
    const body = `{"project":"${retries.projects.P}","title":"Raced"}`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('race-1', body)));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const list = await api.http
      .get(`/api/v1/issues/?project=${retries.projects.P}&search=Raced`)
      .set(retries.owner.auth)
      .expect(200);
    expect(list.body.results).toHaveLength(1);
  });

  it('creates once when the client gave up on the first answer and retries with the same key', async () => {
    const { createServer } = await import('node:http');
    const server = createServer(api.system.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const body = JSON.stringify({ project: retries.projects.P, title: 'Abandoned' });
    // The first request is cut off by the client before the answer comes back.
    const controller = new AbortController();
    const first = fetch(`http://127.0.0.1:${port}/api/v1/issues/`, {
      method: 'POST',
      headers: { ...retries.owner.auth, 'Content-Type': 'application/json', 'Idempotency-Key': 'gave-up-1' },
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
      .get(`/api/v1/issues/?project=${retries.projects.P}&search=Abandoned`)
      .set(retries.owner.auth)
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
    const res = await post(
      'deep-1',
      JSON.stringify({ project: retries.projects.P, title: 'Deep', extra: deep }),
    );
    expect(res.status).toBe(400);
  });

  it('takes upper-case UUIDs as the same ids', async () => {
    const created = await api.http
      .post('/api/v1/issues/')
      .set(retries.owner.auth)
      .send({ project: retries.projects.P.toUpperCase(), title: 'Shouted' })
      .expect(201);
    expect(created.body.project).toBe(retries.projects.P);
    await api.http
      .get(`/api/v1/issues/${created.body.id.toUpperCase()}/`)
      .set(retries.owner.auth)
      .expect(200);
    await api.http
      .patch(`/api/v1/issues/${created.body.id.toUpperCase()}/`)
      .set(retries.owner.auth)
      .send({ priority: 'low' })
      .expect(200);
  });
});

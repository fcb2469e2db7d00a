import { useTestApi } from '../../test/support/suite';

describe('the original design flow over HTTP', () => {
  const api = useTestApi();

  it('creates an organization, a project and an issue, and the list contains it at once', async () => {
    const alice = await api.user('alice');
    const org = await api.http
      .post('/api/v1/organizations/')
      .set(alice.auth)
      .send({ name: 'Acme' })
      .expect(201);
    expect(org.body).toEqual({
      id: expect.any(String),
      name: 'Acme',
      created_at: expect.any(String),
      role: 'owner',
    });
    expect(org.headers['x-position']).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/);

    const project = await api.http
      .post('/api/v1/projects/')
      .set(alice.auth)
      .send({ organization: org.body.id, name: 'Tracker' })
      .expect(201);
    expect(project.body).toMatchObject({
      organization: org.body.id,
      name: 'Tracker',
      description: '',
      archived: false,
    });

    const issue = await api.http
      .post('/api/v1/issues/')
      .set(alice.auth)
      .send({
        project: project.body.id,
        title: '  Fix the login  ',
        priority: 'high',
        assigned_to_id: alice.id,
      })
      .expect(201);
    expect(issue.body).toMatchObject({
      project: project.body.id,
      title: 'Fix the login',
      status: 'open',
      priority: 'high',
      assigned_to: { id: alice.id, username: alice.username },
      created_by: alice.id,
    });
    expect(issue.headers.etag).toBe('"0"');

    const list = await api.http.get('/api/v1/issues').set(alice.auth).expect(200);
    expect(list.body.results.map((i: { id: string }) => i.id)).toContain(issue.body.id);
    expect(list.body.next).toBeNull();

    const updated = await api.http
      .patch(`/api/v1/issues/${issue.body.id}/`)
      .set(alice.auth)
      .set('If-Match', '"0"')
      .send({ status: 'in_progress', title: 'Fix the login page' })
      .expect(200);
    expect(updated.body).toMatchObject({ status: 'in_progress', title: 'Fix the login page' });
    expect(updated.headers.etag).toBe('"2"');

    const history = await api.http
      .get(`/api/v1/issues/${issue.body.id}/history/`)
      .set(alice.auth)
      .expect(200);
    expect(history.body.results.map((e: { type: string }) => e.type)).toEqual([
      'IssueCreated',
      'IssueTitleChanged',
      'IssueStatusChanged',
    ]);
    expect(history.body.results[2]).toMatchObject({
      actor: { id: alice.id, username: alice.username },
      changes: { status: ['open', 'in_progress'] },
    });
  });
});

/** Projects over HTTP: create, list, read, update, archive, with every refusal API.md lists. */
import { anOrganization, createOrganization, createProject } from '../../test/support/fixtures';
import { allPages, expectProblem, expectStatus } from '../../test/support/http';
import { useFixture, useTestApi } from '../../test/support/suite';

describe('projects over HTTP', () => {
  const api = useTestApi();
  /** Acme: its owner, a manager and a member. */
  const acme = useFixture(() =>
    anOrganization(api, 'Acme').withMember('manager', 'manager').withMember('member').build(),
  );

  const projectShape = {
    id: expect.any(String),
    organization: expect.any(String),
    name: expect.any(String),
    description: expect.any(String),
    created_at: expect.any(String),
    updated_at: expect.any(String),
    archived: expect.any(Boolean),
    key: expect.stringMatching(/^[A-Z0-9]{2,10}$/),
  };

  it('creates a project with Location, ETag and X-Position; the description defaults to empty', async () => {
    const res = await api.http
      .post('/api/v1/projects/')
      .set(acme.manager.auth)
      .send({ organization: acme.id, name: ' Website ' });
    expectStatus(res, 201);
    expect(res.body).toEqual({
      ...projectShape,
      organization: acme.id,
      name: 'Website',
      description: '',
      archived: false,
      key: 'WEBSITE',
    });
    expect(res.headers.location).toBe(`/api/v1/projects/${res.body.id}/`);
    expect(res.headers.etag).toBe('"0"');
    expect(res.headers['x-position']).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/);
    const read = await api.http.get(`/api/v1/projects/${res.body.id}`).set(acme.member.auth);
    expectStatus(read, 200);
    expect(read.body).toEqual(res.body);
    expect(read.headers.etag).toBe('"0"');
  });

  it('keeps a description as written, without the trailing slash too', async () => {
    const res = await api.http
      .post('/api/v1/projects')
      .set(acme.owner.auth)
      .send({ organization: acme.id, name: 'Docs', description: '  indented\n' });
    expectStatus(res, 201);
    expect(res.body.description).toBe('  indented\n');
  });

  it.each([
    ['a missing organization', { name: 'x' }, ['organization']],
    ['an organization that is not a UUID', { organization: 'acme', name: 'x' }, ['organization']],
    ['a missing name', { organization: 'ORG' }, ['name']],
    ['a blank name', { organization: 'ORG', name: '  ' }, ['name']],
    ['a name of 256 characters', { organization: 'ORG', name: 'n'.repeat(256) }, ['name']],
    [
      'a description of 10 001 characters',
      { organization: 'ORG', name: 'x', description: 'd'.repeat(10_001) },
      ['description'],
    ],
    [
      'a description that is not a string',
      { organization: 'ORG', name: 'x', description: 7 },
      ['description'],
    ],
  ])('refuses %s with 400 naming the field', async (_, body, fields) => {
    const sent = JSON.parse(JSON.stringify(body).replace('"ORG"', JSON.stringify(acme.id)));
    expectProblem(await api.http.post('/api/v1/projects/').set(acme.owner.auth).send(sent), 400, fields);
  });

  it('refuses a member with 403 and an organization that does not exist with 404', async () => {
    expectProblem(
      await api.http
        .post('/api/v1/projects/')
        .set(acme.member.auth)
        .send({ organization: acme.id, name: 'Nope' }),
      403,
    );
    expectProblem(
      await api.http
        .post('/api/v1/projects/')
        .set(acme.owner.auth)
        .send({ organization: '0190a5b8-0000-7000-8000-000000000000', name: 'Nope' }),
      404,
    );
  });

  it("lists the projects of the caller's organizations, newest first, filterable by organization, paged", async () => {
    const lister = await api.user('lister');
    const a = await createOrganization(api, lister, 'A');
    const b = await createOrganization(api, lister, 'B');
    const inA = [await createProject(api, lister, a, 'a1'), await createProject(api, lister, a, 'a2')];
    const inB = [
      await createProject(api, lister, b, 'b1'),
      await createProject(api, lister, b, 'b2'),
      await createProject(api, lister, b, 'b3'),
    ];
    const all = await api.http.get('/api/v1/projects/').set(lister.auth);
    expectStatus(all, 200);
    expect(all.body.next).toBeNull();
    expect(all.body.results.map((p: { id: string }) => p.id)).toEqual([...inA, ...inB].reverse());
    for (const p of all.body.results) expect(p).toEqual(projectShape);
    const onlyB = await api.http.get(`/api/v1/projects?organization=${b}`).set(lister.auth);
    expect(onlyB.body.results.map((p: { id: string }) => p.id)).toEqual([...inB].reverse());
    const paged = await allPages<{ id: string }>(api, lister, '/api/v1/projects/?limit=2');
    expect(paged.pages).toBe(3);
    expect(paged.results.map((p) => p.id)).toEqual([...inA, ...inB].reverse());
    const pagedB = await allPages<{ id: string }>(api, lister, `/api/v1/projects/?organization=${b}&limit=1`);
    expect(pagedB.results.map((p) => p.id)).toEqual([...inB].reverse());
    expectProblem(await api.http.get('/api/v1/projects/?organization=b').set(lister.auth), 400, [
      'organization',
    ]);
  });

  it('answers 404 for a project that does not exist', async () => {
    expectProblem(
      await api.http.get('/api/v1/projects/0190a5b8-0000-7000-8000-000000000000/').set(acme.owner.auth),
      404,
    );
  });

  it('lets an owner or a manager update the name and description, one revision per change', async () => {
    const id = await createProject(api, acme.owner, acme.id, 'Before', 'old');
    const res = await api.http
      .patch(`/api/v1/projects/${id}/`)
      .set(acme.manager.auth)
      .send({ name: 'After', description: 'new' });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ id, name: 'After', description: 'new', archived: false });
    expect(res.headers.etag).toBe('"1"');
    const partial = await api.http
      .patch(`/api/v1/projects/${id}`)
      .set(acme.owner.auth)
      .send({ description: '' });
    expectStatus(partial, 200);
    expect(partial.body).toMatchObject({ name: 'After', description: '' });
    expect(partial.headers.etag).toBe('"2"');
    const read = await api.http.get(`/api/v1/projects/${id}/`).set(acme.member.auth);
    expect(read.body).toMatchObject({ name: 'After', description: '' });
    expect(read.headers.etag).toBe('"2"');
  });

  it('appends nothing when a PATCH changes nothing', async () => {
    const id = await createProject(api, acme.owner, acme.id, 'Stable', 'same');
    const res = await api.http
      .patch(`/api/v1/projects/${id}/`)
      .set(acme.owner.auth)
      .send({ name: 'Stable', description: 'same' });
    expectStatus(res, 200);
    expect(res.headers.etag).toBe('"0"');
    const empty = await api.http.patch(`/api/v1/projects/${id}/`).set(acme.owner.auth).send({});
    expectStatus(empty, 200);
    expect(empty.headers.etag).toBe('"0"');
  });

  it('refuses a member updating with 403 and bad fields with 400 naming them', async () => {
    const id = await createProject(api, acme.owner, acme.id, 'Guarded');
    expectProblem(
      await api.http.patch(`/api/v1/projects/${id}/`).set(acme.member.auth).send({ name: 'Mine' }),
      403,
    );
    expectProblem(
      await api.http.patch(`/api/v1/projects/${id}/`).set(acme.owner.auth).send({ name: '' }),
      400,
      ['name'],
    );
    expectProblem(
      await api.http
        .patch(`/api/v1/projects/${id}/`)
        .set(acme.owner.auth)
        .send({ name: 1, description: false }),
      400,
      ['name', 'description'],
    );
    expectProblem(
      await api.http
        .patch('/api/v1/projects/0190a5b8-0000-7000-8000-000000000000/')
        .set(acme.owner.auth)
        .send({ name: 'x' }),
      404,
    );
  });

  it('archives on DELETE: the project leaves lists, stays readable, takes no new issues and no updates', async () => {
    const id = await createProject(api, acme.owner, acme.id, 'Old');
    const issue = await api.http
      .post('/api/v1/issues/')
      .set(acme.member.auth)
      .send({ project: id, title: 'Before archiving' });
    expectStatus(issue, 201);

    const res = await api.http.delete(`/api/v1/projects/${id}/`).set(acme.manager.auth);
    expectStatus(res, 204);
    expect(res.text).toBe('');
    expect(res.headers['x-position']).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/);

    const list = await api.http.get(`/api/v1/projects/?organization=${acme.id}`).set(acme.owner.auth);
    expect(list.body.results.map((p: { id: string }) => p.id)).not.toContain(id);
    const read = await api.http.get(`/api/v1/projects/${id}/`).set(acme.owner.auth);
    expectStatus(read, 200);
    expect(read.body).toMatchObject({ id, archived: true });

    expectProblem(
      await api.http
        .post('/api/v1/issues/')
        .set(acme.owner.auth)
        .send({ project: id, title: 'After archiving' }),
      409,
    );
    expectProblem(
      await api.http.patch(`/api/v1/projects/${id}/`).set(acme.owner.auth).send({ name: 'Revived' }),
      409,
    );
    // Its issues stay readable.
    expectStatus(await api.http.get(`/api/v1/issues/${issue.body.id}/`).set(acme.member.auth), 200);
    // Archiving again changes nothing.
    expectStatus(await api.http.delete(`/api/v1/projects/${id}`).set(acme.owner.auth), 204);
    expect((await api.http.get(`/api/v1/projects/${id}/`).set(acme.owner.auth)).headers.etag).toBe(
      read.headers.etag,
    );
  });

  it('refuses a member archiving with 403 and an unknown project with 404', async () => {
    const id = await createProject(api, acme.owner, acme.id, 'Keep');
    expectProblem(await api.http.delete(`/api/v1/projects/${id}/`).set(acme.member.auth), 403);
    expect((await api.http.get(`/api/v1/projects/${id}/`).set(acme.owner.auth)).body.archived).toBe(false);
    expectProblem(
      await api.http.delete('/api/v1/projects/0190a5b8-0000-7000-8000-000000000000/').set(acme.owner.auth),
      404,
    );
  });
});

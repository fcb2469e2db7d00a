/** `?as_of=` over HTTP: projects, project issue lists (bounded: 422 past it), organizations and their members as they were. */
import { expectProblem, expectStatus } from '../../test/support/http';
import { anOrganization, createIssue } from '../../test/support/fixtures';
import { useFixture, useTestApi } from '../../test/support/suite';

describe('as_of on projects and their issue lists', () => {
  const api = useTestApi();
  const acme = useFixture(() =>
    anOrganization(api, 'Acme').withMember('member').withProject('Apollo').build(),
  );
  const stranger = useFixture(async () => ({ user: await api.user('stranger') }));

  const project = () => acme.projects.Apollo!;
  const get = (path: string, by = acme.member) => api.http.get(path).set(by.auth);

  it('answers a project and its issues as they were at a position', async () => {
    const kept = await createIssue(api, acme.owner, project(), { title: 'Kept' });
    const doomed = await createIssue(api, acme.owner, project(), { title: 'Doomed' });
    const before = doomed.position;
    await api.http
      .patch(`/api/v1/projects/${project()}/`)
      .set(acme.owner.auth)
      .send({ name: 'Artemis' })
      .expect(200);
    await api.http.delete(`/api/v1/issues/${doomed.id}/`).set(acme.owner.auth).expect(204);
    await createIssue(api, acme.owner, project(), { title: 'Later' });

    const then = await get(`/api/v1/projects/${project()}/?as_of=${before}`);
    expectStatus(then, 200);
    expect(then.body.name).toBe('Apollo');
    expect(then.headers.etag).toBe('"0"');
    expect((await get(`/api/v1/projects/${project()}/`)).body.name).toBe('Artemis');

    const listed = await get(`/api/v1/projects/${project()}/issues/?as_of=${before}`);
    expectStatus(listed, 200);
    expect(listed.body.results.map((i: { id: string }) => i.id)).toEqual([doomed.id, kept.id]);
    const now = await get(`/api/v1/projects/${project()}/issues/`);
    expect(now.body.results.map((i: { title: string }) => i.title)).toEqual(['Later', 'Kept']);
  });

  it('answers 404 to a caller who is not a member, as of any moment, and 400 for a malformed as_of', async () => {
    expectProblem(await get(`/api/v1/projects/${project()}/issues/`, stranger.user), 404);
    expectProblem(await get(`/api/v1/projects/${project()}/issues/?as_of=2030-01-01`, stranger.user), 404);
    expectProblem(await get(`/api/v1/projects/${project()}/?as_of=2030-01-01`, stranger.user), 404);
    expectProblem(await get(`/api/v1/projects/${project()}/?as_of=yesterday`), 400, ['as_of']);
    expectProblem(await get(`/api/v1/projects/${project()}/issues/?as_of=yesterday`), 400, ['as_of']);
  });
});

describe('as_of on organizations and their members', () => {
  const api = useTestApi();
  const acme = useFixture(() => anOrganization(api, 'Acme').withMember('max', 'manager').build());

  const get = (path: string, by = acme.owner) => api.http.get(path).set(by.auth);
  const members = (res: { body: { results: { user: { username: string }; role: string }[] } }) =>
    res.body.results.map((m) => [m.user.username, m.role]);

  it('shows the name, members and roles it had then, in pages, and today without as_of', async () => {
    const org = acme.id;
    const zoe = await api.user('zoe');
    const added = (
      await api.http
        .post(`/api/v1/organizations/${org}/members/`)
        .set(acme.owner.auth)
        .send({ user_id: zoe.id })
        .expect(201)
    ).headers['x-position'] as string;
    const renamed = await api.http
      .patch(`/api/v1/organizations/${org}/`)
      .set(acme.owner.auth)
      .send({ name: 'Acme Corp' })
      .expect(200);
    const before = renamed.headers['x-position'] as string;
    await api.http
      .patch(`/api/v1/organizations/${org}/members/${acme.max.id}/`)
      .set(acme.owner.auth)
      .send({ role: 'member' })
      .expect(200);
    await api.http.delete(`/api/v1/organizations/${org}/members/${zoe.id}/`).set(acme.owner.auth).expect(204);

    const then = await get(`/api/v1/organizations/${org}/?as_of=${before}`);
    expectStatus(then, 200);
    expect(then.body).toMatchObject({ id: org, name: 'Acme Corp', role: 'owner', member_count: 3 });
    const listed = await get(`/api/v1/organizations/${org}/members/?as_of=${before}`);
    expectStatus(listed, 200);
    expect(members(listed)).toEqual([
      [acme.owner.username, 'owner'],
      [acme.max.username, 'manager'],
      [zoe.username, 'member'],
    ]);
    const first = await get(`/api/v1/organizations/${org}/members/?as_of=${before}&limit=2`);
    expect(members(first)).toHaveLength(2);
    const next = new URL(first.body.next);
    const rest = await get(`${next.pathname}${next.search}`);
    expectStatus(rest, 200);
    expect(members(rest)).toEqual([[zoe.username, 'member']]);
    expect(rest.body.next).toBeNull();

    const earlier = await get(`/api/v1/organizations/${org}/members/?as_of=${added}`);
    expect(members(earlier).map(([name]) => name)).toContain(zoe.username);
    expect((await get(`/api/v1/organizations/${org}/?as_of=${added}`)).body.name).toBe('Acme');
    const now = await get(`/api/v1/organizations/${org}/members/`);
    expect(members(now)).toEqual([
      [acme.owner.username, 'owner'],
      [acme.max.username, 'member'],
    ]);
    // The caller's role as it was then, not as it is now.
    expect((await get(`/api/v1/organizations/${org}/?as_of=${before}`, acme.max)).body.role).toBe('manager');
  });

  it('answers 404 before the organization existed and to strangers, 400 for a malformed as_of', async () => {
    const stranger = await api.user('outsider');
    expectProblem(await get(`/api/v1/organizations/${acme.id}/?as_of=2001-01-01T00:00:00Z`), 404);
    expectProblem(await get(`/api/v1/organizations/${acme.id}/members/?as_of=2001-01-01`), 404);
    expectProblem(await get(`/api/v1/organizations/${acme.id}/members/?as_of=2030-01-01`, stranger), 404);
    expectProblem(await get(`/api/v1/organizations/${acme.id}/?as_of=soon`), 400, ['as_of']);
  });
});

describe('the bound on as_of lists', () => {
  const api = useTestApi({ asOfEventBound: 5 });
  const acme = useFixture(() => anOrganization(api, 'Busy').withProject('P').build());

  it('answers 422 naming as_of once replaying the project would pass the bound, and the live list still', async () => {
    for (let i = 0; i < 3; i += 1) {
      const issue = await createIssue(api, acme.owner, acme.projects.P!, { title: `Issue ${i}` });
      await api.http
        .patch(`/api/v1/issues/${issue.id}/`)
        .set(acme.owner.auth)
        .send({ priority: 'high' })
        .expect(200);
    }
    const res = await api.http
      .get(`/api/v1/projects/${acme.projects.P}/issues/?as_of=${new Date().toISOString()}`)
      .set(acme.owner.auth);
    expectProblem(res, 422, ['as_of']);
    expect(res.body.detail).toMatch(/6 events, more than the 5/);
    expectStatus(await api.http.get(`/api/v1/projects/${acme.projects.P}/issues/`).set(acme.owner.auth), 200);
  });
});

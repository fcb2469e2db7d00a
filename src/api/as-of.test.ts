/** `?as_of=` on projects and a project's issue list, over HTTP: as they were then, 404 for strangers, 422 past the bound. */
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

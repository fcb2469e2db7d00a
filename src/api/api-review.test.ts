/**
 * What a new user of the API ran into: PATCHes that silently did nothing (unknown fields, the answers' own
 * `assigned_to` name), filters and orderings users of other trackers expect, bringing back a deleted issue, and
 * errors that say what is wrong in the client's terms.
 */
import { anOrganization, createIssue, createProject } from '../../test/support/fixtures';
import { expectProblem, expectStatus } from '../../test/support/http';
import { useFixture, useTestApi } from '../../test/support/suite';

describe('the API as a new user finds it', () => {
  const api = useTestApi();
  /** Acme: its owner and a member, and its Tracker project. */
  const acme = useFixture(() =>
    anOrganization(api, 'Acme').withMember('member').withProject('Tracker').build(),
  );
  /** Who belongs to no organization. */
  const outsider = useFixture(() => api.user('outsider'));

  const patch = (id: string, body: object, by = acme.owner) =>
    api.http.patch(`/api/v1/issues/${id}/`).set(by.auth).send(body);
  const get = async (id: string) =>
    (await api.http.get(`/api/v1/issues/${id}/`).set(acme.owner.auth).expect(200)).body;

  describe('unknown and read-only fields', () => {
    it('refuses a field that is neither writable nor read-only with 400 naming it, changing nothing', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker);
      for (const body of [
        { priorty: 'low' },
        { priority: 'low', assigne: acme.member.id },
        { deleted: true },
      ]) {
        const res = await patch(issue.id, body);
        const unknown = Object.keys(body).filter((k) => k !== 'priority');
        expectProblem(res, 400, unknown);
      }
      expect((await get(issue.id)).priority).toBe('medium');
      const created = await api.http
        .post('/api/v1/issues/')
        .set(acme.owner.auth)
        .send({ project: acme.projects.Tracker, title: 'x', colour: 'red' });
      expectProblem(created, 400, ['colour']);
      expectProblem(
        await api.http.post('/api/v1/organizations/').set(acme.owner.auth).send({ name: 'N', nmae: 'N' }),
        400,
        ['nmae'],
      );
    });

    it('accepts the resource sent back as it was read, ignoring its read-only fields', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker, {
        assigned_to_id: acme.member.id,
      });
      const read = await get(issue.id);
      const res = await patch(issue.id, { ...read, title: 'Round-tripped' });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ title: 'Round-tripped', assigned_to: { id: acme.member.id } });
      expect(res.body.created_at).toBe(read.created_at);
      const project_ = (await api.http.get(`/api/v1/projects/${acme.projects.Tracker}/`).set(acme.owner.auth))
        .body;
      expectStatus(
        await api.http
          .patch(`/api/v1/projects/${acme.projects.Tracker}/`)
          .set(acme.owner.auth)
          .send(project_),
        200,
      );
      const org_ = (await api.http.get(`/api/v1/organizations/${acme.id}/`).set(acme.owner.auth)).body;
      expectStatus(
        await api.http.patch(`/api/v1/organizations/${acme.id}/`).set(acme.owner.auth).send(org_),
        200,
      );
    });

    it('takes assigned_to as a write alias: a user id, { id } or null', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker);
      expect((await patch(issue.id, { assigned_to: acme.member.id })).body.assigned_to).toEqual({
        id: acme.member.id,
        username: acme.member.username,
      });
      expect((await patch(issue.id, { assigned_to: null })).body.assigned_to).toBeNull();
      expect((await patch(issue.id, { assigned_to: { id: acme.owner.id } })).body.assigned_to.id).toBe(
        acme.owner.id,
      );
      expectProblem(await patch(issue.id, { assigned_to: 'nobody' }), 400, ['assigned_to']);
      expectProblem(await patch(issue.id, { assigned_to: outsider.id }), 400, ['assigned_to_id']);
      expectProblem(
        await patch(issue.id, { assigned_to: acme.member.id, assigned_to_id: acme.owner.id }),
        400,
        ['assigned_to'],
      );
      const created = await api.http
        .post('/api/v1/issues/')
        .set(acme.owner.auth)
        .send({ project: acme.projects.Tracker, title: 'Aliased', assigned_to: acme.member.id });
      expectStatus(created, 201);
      expect(created.body.assigned_to.id).toBe(acme.member.id);
    });
  });

  describe('filters and orderings', () => {
    let ids: Record<string, string>;
    beforeAll(async () => {
      const p = await createProject(api, acme.owner, acme.id, 'Filters');
      ids = {};
      for (const [title, priority, status] of [
        ['banana', 'high', 'blocked'],
        ['Apple', 'critical', 'done'],
        ['cherry', 'low', 'open'],
        ['apple pie', 'high', 'in_progress'],
      ] as const) {
        ids[title] = (await createIssue(api, acme.owner, p, { title, priority, status })).id;
      }
      acme.projects.Tracker = p;
    });
    const titles = async (query: string) =>
      (
        (
          await api.http
            .get(`/api/v1/issues/?project=${acme.projects.Tracker}&${query}`)
            .set(acme.owner.auth)
            .expect(200)
        ).body.results as { title: string }[]
      ).map((i) => i.title);

    it('repeats priority like status', async () => {
      expect((await titles('priority=high&priority=critical&ordering=created_at')).sort()).toEqual(
        ['Apple', 'apple pie', 'banana'].sort(),
      );
      expectProblem(
        await api.http.get('/api/v1/issues/?priority=high&priority=urgent').set(acme.owner.auth),
        400,
        ['priority'],
      );
    });

    it('orders by status in workflow order and by title without regard to case', async () => {
      expect(await titles('ordering=status')).toEqual(['cherry', 'apple pie', 'banana', 'Apple']);
      expect(await titles('ordering=-status')).toEqual(['Apple', 'banana', 'apple pie', 'cherry']);
      expect(await titles('ordering=title')).toEqual(['Apple', 'apple pie', 'banana', 'cherry']);
      expect(await titles('ordering=-title')).toEqual(['cherry', 'banana', 'apple pie', 'Apple']);
    });

    it('breaks priority ties by created_at', async () => {
      expect(await titles('ordering=priority')).toEqual(['cherry', 'banana', 'apple pie', 'Apple']);
      expect(await titles('ordering=-priority')).toEqual(['Apple', 'apple pie', 'banana', 'cherry']);
    });

    it('gives what changed strictly after updated_after, for clients that sync', async () => {
      const all = (
        await api.http
          .get(`/api/v1/issues/?project=${acme.projects.Tracker}&ordering=-updated_at`)
          .set(acme.owner.auth)
      ).body.results as { updated_at: string }[];
      const before = all[0]!.updated_at;
      const touched = await patch(ids.banana!, { priority: 'low' });
      expect(await titles(`updated_after=${encodeURIComponent(before)}`)).toEqual(['banana']);
      expect(await titles(`updated_after=${encodeURIComponent(touched.body.updated_at)}`)).toEqual([]);
      expectProblem(await api.http.get('/api/v1/issues/?updated_after=yesterday').set(acme.owner.auth), 400, [
        'updated_after',
      ]);
    });
  });

  describe('restoring a deleted issue', () => {
    it('brings it back in lists with its fields, and its history shows the deletion and the restore', async () => {
      const issue = await createIssue(api, acme.member, acme.projects.Tracker, {
        title: 'Regret',
        priority: 'high',
        assigned_to_id: acme.owner.id,
      });
      const before = await get(issue.id);
      await api.http.delete(`/api/v1/issues/${issue.id}/`).set(acme.member.auth).expect(204);
      await api.http.get(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth).expect(404);

      const restored = await api.http.post(`/api/v1/issues/${issue.id}/restore/`).set(acme.member.auth);
      expectStatus(restored, 200);
      expect(restored.body).toEqual({ ...before, updated_at: expect.any(String) });
      expect(restored.headers.etag).toBe('"2"');
      const listed = await api.http
        .get(`/api/v1/issues/?project=${acme.projects.Tracker}&search=Regret`)
        .set(acme.owner.auth);
      expect(listed.body.results.map((i: { id: string }) => i.id)).toEqual([issue.id]);
      const history = await api.http
        .get(`/api/v1/issues/${issue.id}/history/`)
        .set(acme.owner.auth)
        .expect(200);
      expect(history.body.results.map((e: { type: string }) => e.type)).toEqual([
        'IssueCreated',
        'IssueDeleted',
        'IssueRestored',
      ]);
      // Restoring what is not deleted changes nothing.
      expectStatus(await api.http.post(`/api/v1/issues/${issue.id}/restore/`).set(acme.owner.auth), 200);
      expect(history.body.results).toHaveLength(3);
    });

    it('lets whoever may delete restore: a member who did not create it gets 403, an outsider 404', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker, { title: 'Owned' });
      await api.http.delete(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth).expect(204);
      expectProblem(await api.http.post(`/api/v1/issues/${issue.id}/restore/`).set(acme.member.auth), 403);
      expectProblem(await api.http.post(`/api/v1/issues/${issue.id}/restore/`).set(outsider.auth), 404);
      expectProblem(
        await api.http
          .post('/api/v1/issues/0190a5b8-0000-7000-8000-000000000000/restore/')
          .set(acme.owner.auth),
        404,
      );
    });
  });

  describe('errors in the client’s terms', () => {
    it('names the resource, not the log’s stream, in a 412', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker);
      const res = await patch(issue.id, { title: 'Late' }).set('If-Match', '"7"');
      expectProblem(res, 412);
      expect(res.body.detail).toMatch(/^the issue has changed/);
      expect(res.body.detail).not.toMatch(/issue-[0-9a-f]{8}/);
    });
  });
});

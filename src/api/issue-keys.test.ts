/**
 * Project keys and issue keys over HTTP: a project's key is given or derived from its name, unique in its
 * organization (whatever the case, even under concurrent creations) and fixed; issues are numbered densely per
 * project in log order by the read model, never reusing a number, the same after every read model is rebuilt;
 * `GET /issues/{key}/` and `?key=` find an issue by key within the caller's organizations.
 */
import { anOrganization, createIssue, createProject } from '../../test/support/fixtures';
import { expectProblem, expectStatus } from '../../test/support/http';
import { useFixture, useTestApi } from '../../test/support/suite';
import { readModels } from '../projections/read-models';

describe('project keys and issue keys', () => {
  const api = useTestApi();
  const admin = useFixture(async () => {
    const user = await api.user('admin');
    await api.system.credentials.setAdmin(user.id, true);
    return user;
  });
  const acme = useFixture(() =>
    anOrganization(api, 'Acme').withMember('manager', 'manager').withMember('member').build(),
  );

  const newProject = (body: Record<string, unknown>, by = acme.manager) =>
    api.http
      .post('/api/v1/projects/')
      .set(by.auth)
      .send({ organization: acme.id, ...body });

  describe('project keys', () => {
    it('takes the key given (in capitals), or derives one from the name, numbered when taken', async () => {
      const given = await newProject({ name: 'Website', key: 'site' });
      expectStatus(given, 201);
      expect(given.body.key).toBe('SITE');
      const derived = await newProject({ name: 'Team Tracker' });
      expect(derived.body.key).toBe('TT');
      const again = await newProject({ name: 'team  tracker!' });
      expect(again.body.key).toBe('TT2');
      const read = await api.http.get(`/api/v1/projects/${again.body.id}/`).set(acme.member.auth).expect(200);
      expect(read.body.key).toBe('TT2');
    });

    it('refuses a key the organization has, whatever its case, with 409; another organization may have it', async () => {
      expectStatus(await newProject({ name: 'Mobile', key: 'APP' }), 201);
      expectProblem(await newProject({ name: 'Other', key: 'app' }), 409);
      const other = await anOrganization(api, 'Other').build();
      const theirs = await api.http
        .post('/api/v1/projects/')
        .set(other.owner.auth)
        .send({ organization: other.id, name: 'Mobile', key: 'APP' });
      expect(theirs.body.key).toBe('APP');
    });

    it('gives a key to one of two projects created at once with it; the other gets 409', async () => {
      const answers = await Promise.all(
        Array.from({ length: 4 }, (_, i) => newProject({ name: `Race ${i}`, key: 'RACE' })),
      );
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
      const { rows } = await api.pool.query(
        `SELECT count(*)::int AS n FROM events WHERE type = 'ProjectKeyReserved'
         AND data->>'organizationId' = $1 AND data->>'key' = 'RACE'`,
        [acme.id],
      );
      expect(rows[0].n).toBe(1);
    });

    it('refuses a malformed key with 400 on key, and a member with 403, before reserving anything', async () => {
      expectProblem(await newProject({ name: 'Bad', key: 'W' }), 400, ['key']);
      expectProblem(await newProject({ name: 'Bad', key: 'NO-DASH' }), 400, ['key']);
      expectProblem(await newProject({ name: 'Nope', key: 'NOPE' }, acme.member), 403);
      expectStatus(await newProject({ name: 'Nope', key: 'NOPE' }), 201);
    });

    it('keeps the key fixed: sent back unchanged it is accepted, another key is a 400', async () => {
      const created = await newProject({ name: 'Fixed', key: 'FIX' });
      const roundTrip = await api.http
        .patch(`/api/v1/projects/${created.body.id}/`)
        .set(acme.manager.auth)
        .send({ ...created.body, name: 'Fixed, renamed' });
      expectStatus(roundTrip, 200);
      expect(roundTrip.body).toMatchObject({ name: 'Fixed, renamed', key: 'FIX' });
      expectProblem(
        await api.http
          .patch(`/api/v1/projects/${created.body.id}/`)
          .set(acme.manager.auth)
          .send({ key: 'FIXED' }),
        400,
        ['key'],
      );
    });
  });

  describe('issue keys', () => {
    const numbered = useFixture(async () => {
      const project = (await newProject({ name: 'Web app', key: 'WEB' })).body.id as string;
      const created = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          api.http
            .post('/api/v1/issues/')
            .set(acme.member.auth)
            .send({ project, title: `Concurrent ${i}` }),
        ),
      );
      for (const res of created) expectStatus(res, 201);
      return { project, issues: created.map((r) => r.body as { id: string; key: string }) };
    });

    const keysOf = async (ids: readonly string[]) => {
      const { rows } = await api.pool.query<{ id: string; key: string }>(
        `SELECT id::text, key FROM issues WHERE id = ANY($1::uuid[])
         UNION ALL SELECT id::text, key FROM issue_tombstones WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      return new Map(rows.map((r) => [r.id, r.key]));
    };

    it('numbers 50 issues created at once in one project 1..50, no gap, no repeat, in log order', async () => {
      const keys = numbered.issues.map((i) => i.key);
      expect(new Set(keys).size).toBe(50);
      expect(keys.map((k) => Number(k.replace('WEB-', ''))).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      // The order of the numbers is the order of the creations in the log.
      const { rows } = await api.pool.query<{ issue: string }>(
        `SELECT data->>'issueId' AS issue FROM event_log WHERE type = 'IssueCreated' AND data->>'projectId' = $1
         ORDER BY position`,
        [numbered.project],
      );
      const byId = new Map(numbered.issues.map((i) => [i.id, i.key]));
      expect(rows.map((r) => byId.get(r.issue))).toEqual(
        Array.from({ length: 50 }, (_, i) => `WEB-${i + 1}`),
      );
      // None of it touched the project's stream.
      const stream = await api.system.store.readStream(`project-${numbered.project}`);
      expect(stream.map((e) => e.type)).toEqual(['ProjectCreated']);
    });

    it('never gives a deleted issue’s number again; a restored issue keeps its key', async () => {
      const last = numbered.issues.find((i) => i.key === 'WEB-50')!;
      await api.http.delete(`/api/v1/issues/${last.id}/`).set(acme.owner.auth).expect(204);
      const next = await createIssue(api, acme.member, numbered.project, { title: 'After the deletion' });
      expect(next.body.key).toBe('WEB-51');
      const restored = await api.http
        .post(`/api/v1/issues/${last.id}/restore/`)
        .set(acme.owner.auth)
        .send({});
      expect(restored.body.key).toBe('WEB-50');
      await api.http.delete(`/api/v1/issues/${next.id}/`).set(acme.owner.auth).expect(204);
    });

    it('finds an issue by key in any case, within the caller’s organizations only', async () => {
      const target = numbered.issues.find((i) => i.key === 'WEB-12')!;
      for (const key of ['WEB-12', 'web-12', 'Web-12']) {
        const res = await api.http.get(`/api/v1/issues/${key}/`).set(acme.member.auth);
        expectStatus(res, 200);
        expect(res.body).toMatchObject({ id: target.id, key: 'WEB-12' });
        expect(res.headers.etag).toBe('"0"');
      }
      const outsider = await api.user('outsider');
      expectProblem(await api.http.get('/api/v1/issues/WEB-12/').set(outsider.auth), 404);
      expectProblem(await api.http.get('/api/v1/issues/WEB-999/').set(acme.member.auth), 404);
      expectProblem(await api.http.get('/api/v1/issues/WEB-0/').set(acme.member.auth), 400, ['id']);
      const then = await api.http.get('/api/v1/issues/web-12/?as_of=2000-01-01').set(acme.member.auth);
      expectProblem(then, 404);
    });

    it('filters by ?key=', async () => {
      const res = await api.http.get('/api/v1/issues/?key=web-7').set(acme.member.auth).expect(200);
      expect(res.body.results.map((i: { key: string }) => i.key)).toEqual(['WEB-7']);
      expectProblem(await api.http.get('/api/v1/issues/?key=7').set(acme.member.auth), 400, ['key']);
    });

    it('answers 409 naming both when two of the caller’s organizations have the key; ?organization= picks one', async () => {
      const consultant = await api.user('consultant');
      const [one, two] = await Promise.all(
        ['One', 'Two'].map((name) =>
          anOrganization(api, name).withMember('consultant', 'member', consultant).build(),
        ),
      );
      const issues = [];
      for (const org of [one!, two!]) {
        const project = (
          await api.http
            .post('/api/v1/projects/')
            .set(org.owner.auth)
            .send({ organization: org.id, name: 'Shared', key: 'SAME' })
            .expect(201)
        ).body.id;
        issues.push(await createIssue(api, org.owner, project));
      }
      const both = await api.http.get('/api/v1/issues/same-1/').set(consultant.auth);
      expectProblem(both, 409, ['organization']);
      const messages = both.body.errors.map((e: { message: string }) => e.message);
      expect(messages).toHaveLength(2);
      expect(messages).toEqual(
        expect.arrayContaining([
          `${one!.id}: SAME-1 is issue ${issues[0]!.id}`,
          `${two!.id}: SAME-1 is issue ${issues[1]!.id}`,
        ]),
      );
      const picked = await api.http
        .get(`/api/v1/issues/SAME-1/?organization=${two!.id}`)
        .set(consultant.auth);
      expectStatus(picked, 200);
      expect(picked.body.id).toBe(issues[1]!.id);
      // Its owner, a member of one of them only, gets theirs.
      const mine = await api.http.get('/api/v1/issues/SAME-1/').set(one!.owner.auth).expect(200);
      expect(mine.body.id).toBe(issues[0]!.id);
    });

    it('gives every issue the same key after every read model is rebuilt from the log', async () => {
      const other = await createProject(api, acme.owner, acme.id, 'Other things');
      const more = await Promise.all(Array.from({ length: 5 }, () => createIssue(api, acme.member, other)));
      const ids = [...numbered.issues.map((i) => i.id), ...more.map((i) => i.id)];
      const before = await keysOf(ids);
      expect(before.size).toBe(55);
      for (const { name } of readModels) {
        const res = await api.http
          .post(`/api/v1/admin/projections/${name}/rebuild/`)
          .set(admin.auth)
          .send({});
        expectStatus(res, 202);
      }
      await Promise.all(readModels.map(({ name }) => api.system.rebuilds.settled(name)));
      expect(await keysOf(ids)).toEqual(before);
      const next = await createIssue(api, acme.member, numbered.project);
      expect(next.body.key).toBe('WEB-52');
    }, 60_000);
  });
});

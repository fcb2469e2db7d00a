/**
 * Conditional and idempotent requests: `ETag` / `If-Match` (412, no lost updates under concurrency),
 * `Idempotency-Key` on POST (the first answer again, one append; 422 for another body), `Prefer: respond-async`
 * (202 with the position) and `min_position` / `X-Min-Position` on reads.
 */
import {
  addMember,
  anOrganization,
  createIssue,
  createOrganization,
  createProject,
} from '../../test/support/fixtures';
import { expectProblem, expectStatus } from '../../test/support/http';
import { useFixture, useTestApi } from '../../test/support/suite';

const POSITION = /^[0-9a-f]{16}-[0-9a-f]{16}$/;

describe('conditional and idempotent requests', () => {
  const api = useTestApi();
  /** Acme: its owner and a member, and its Tracker project. */
  const acme = useFixture(() =>
    anOrganization(api, 'Acme').withMember('member').withProject('Tracker').build(),
  );

  const streamLength = async (streamId: string): Promise<number> =>
    Number(
      (
        await api.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM events WHERE stream_id = $1', [
          streamId,
        ])
      ).rows[0]!.n,
    );
  const eventCount = async (): Promise<number> =>
    Number((await api.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM events')).rows[0]!.n);
  const historyLength = async (issueId: string): Promise<number> => {
    const res = await api.http.get(`/api/v1/issues/${issueId}/history/?limit=100`).set(acme.owner.auth);
    expectStatus(res, 200);
    return res.body.results.length;
  };

  describe('ETag and If-Match', () => {
    it('puts the stream revision as ETag on every single resource', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker);
      await api.http
        .patch(`/api/v1/issues/${issue.id}/`)
        .set(acme.owner.auth)
        .send({ title: 'Renamed' })
        .expect(200);
      expect((await api.http.get(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth)).headers.etag).toBe(
        '"1"',
      );
      expect(
        (await api.http.get(`/api/v1/projects/${acme.projects.Tracker}/`).set(acme.owner.auth)).headers.etag,
      ).toBe('"0"');
      expect(
        (await api.http.get(`/api/v1/organizations/${acme.id}/`).set(acme.owner.auth)).headers.etag,
      ).toMatch(/^"\d+"$/);
    });

    it('refuses a PATCH of an issue with a stale If-Match with 412 and changes nothing; the current one applies', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker, { title: 'Original' });
      await api.http
        .patch(`/api/v1/issues/${issue.id}/`)
        .set(acme.owner.auth)
        .set('If-Match', '"0"')
        .send({ priority: 'high' })
        .expect(200);
      const stale = await api.http
        .patch(`/api/v1/issues/${issue.id}/`)
        .set(acme.member.auth)
        .set('If-Match', '"0"')
        .send({ title: 'Lost update' });
      expectProblem(stale, 412);
      const read = await api.http.get(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth);
      expect(read.body.title).toBe('Original');
      expect(read.headers.etag).toBe('"1"');
      expect(await historyLength(issue.id)).toBe(2);

      const current = await api.http
        .patch(`/api/v1/issues/${issue.id}/`)
        .set(acme.member.auth)
        .set('If-Match', read.headers.etag as string)
        .send({ title: 'Applied' });
      expectStatus(current, 200);
      expect(current.body.title).toBe('Applied');
      expect(current.headers.etag).toBe('"2"');
    });

    it('accepts weak and unquoted ETags and *, and refuses a malformed If-Match with 400 naming If-Match', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker);
      expectStatus(
        await api.http
          .patch(`/api/v1/issues/${issue.id}/`)
          .set(acme.owner.auth)
          .set('If-Match', 'W/"0"')
          .send({ title: 'a' }),
        200,
      );
      expectStatus(
        await api.http
          .patch(`/api/v1/issues/${issue.id}/`)
          .set(acme.owner.auth)
          .set('If-Match', '1')
          .send({ title: 'b' }),
        200,
      );
      expectStatus(
        await api.http
          .patch(`/api/v1/issues/${issue.id}/`)
          .set(acme.owner.auth)
          .set('If-Match', '*')
          .send({ title: 'c' }),
        200,
      );
      for (const bad of ['"abc"', 'yesterday', '"1", "2"', '"-1"']) {
        expectProblem(
          await api.http
            .patch(`/api/v1/issues/${issue.id}/`)
            .set(acme.owner.auth)
            .set('If-Match', bad)
            .send({ title: 'd' }),
          400,
          ['If-Match'],
        );
      }
      expect(await historyLength(issue.id)).toBe(4);
    });

    it('refuses a DELETE of an issue with a stale If-Match with 412; the issue stays', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker);
      await api.http
        .patch(`/api/v1/issues/${issue.id}/`)
        .set(acme.owner.auth)
        .send({ status: 'done' })
        .expect(200);
      expectProblem(
        await api.http.delete(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth).set('If-Match', '"0"'),
        412,
      );
      expectStatus(await api.http.get(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth), 200);
      expectStatus(
        await api.http.delete(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth).set('If-Match', '"1"'),
        204,
      );
      expectProblem(await api.http.get(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth), 404);
    });

    it('refuses stale PATCH and DELETE of a project with 412, changing nothing', async () => {
      const id = await createProject(api, acme.owner, acme.id, 'Conditional');
      await api.http
        .patch(`/api/v1/projects/${id}/`)
        .set(acme.owner.auth)
        .set('If-Match', '"0"')
        .send({ description: 'one' })
        .expect(200);
      expectProblem(
        await api.http
          .patch(`/api/v1/projects/${id}/`)
          .set(acme.owner.auth)
          .set('If-Match', '"0"')
          .send({ name: 'Two' }),
        412,
      );
      expectProblem(
        await api.http.delete(`/api/v1/projects/${id}/`).set(acme.owner.auth).set('If-Match', '"0"'),
        412,
      );
      const read = await api.http.get(`/api/v1/projects/${id}/`).set(acme.owner.auth);
      expect(read.body).toMatchObject({ name: 'Conditional', description: 'one', archived: false });
      expect(read.headers.etag).toBe('"1"');
      expectStatus(
        await api.http.delete(`/api/v1/projects/${id}/`).set(acme.owner.auth).set('If-Match', '"1"'),
        204,
      );
    });

    it('refuses stale changes to an organization and its members with 412, changing nothing', async () => {
      const club = await createOrganization(api, acme.owner, 'Club');
      const guest = await api.user('guest');
      await addMember(api, acme.owner, club, guest.id);
      const etag = (await api.http.get(`/api/v1/organizations/${club}/`).set(acme.owner.auth)).headers
        .etag as string;
      expect(etag).toBe('"1"');
      expectProblem(
        await api.http
          .patch(`/api/v1/organizations/${club}/`)
          .set(acme.owner.auth)
          .set('If-Match', '"0"')
          .send({ name: 'X' }),
        412,
      );
      expectProblem(
        await api.http
          .patch(`/api/v1/organizations/${club}/members/${guest.id}/`)
          .set(acme.owner.auth)
          .set('If-Match', '"0"')
          .send({ role: 'manager' }),
        412,
      );
      expectProblem(
        await api.http
          .delete(`/api/v1/organizations/${club}/members/${guest.id}/`)
          .set(acme.owner.auth)
          .set('If-Match', '"0"'),
        412,
      );
      const read = await api.http.get(`/api/v1/organizations/${club}/`).set(guest.auth);
      expect(read.body).toMatchObject({ name: 'Club', role: 'member', member_count: 2 });
      expect(read.headers.etag).toBe(etag);
      const renamed = await api.http
        .patch(`/api/v1/organizations/${club}/`)
        .set(acme.owner.auth)
        .set('If-Match', etag)
        .send({ name: 'Club 2' });
      expectStatus(renamed, 200);
      expect(renamed.headers.etag).toBe('"2"');
    });

    it('lets exactly one of 100 concurrent PATCHes with the same If-Match apply; the others get 412', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker, { title: 'Contested' });
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          api.http
            .patch(`/api/v1/issues/${issue.id}/`)
            .set(i % 2 ? acme.owner.auth : acme.member.auth)
            .set('If-Match', '"0"')
            .send({ title: `Writer ${i}` }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 412)).toHaveLength(99);
      const winner = responses.find((r) => r.status === 200)!;
      const read = await api.http.get(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth);
      expect(read.body.title).toBe(winner.body.title);
      expect(read.headers.etag).toBe('"1"');
      expect(await streamLength(`issue-${issue.id}`)).toBe(2);
    });

    it('applies all of 20 concurrent PATCHes without If-Match, one after another', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker, { title: 'Busy' });
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api.http
            .patch(`/api/v1/issues/${issue.id}/`)
            .set(acme.member.auth)
            .send({ title: `Edit ${i}` }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(await historyLength(issue.id)).toBe(21);
      const res = await api.http.get(`/api/v1/issues/${issue.id}/history/?limit=100`).set(acme.owner.auth);
      const titles = res.body.results
        .slice(1)
        .map((e: { changes: { title: [string, string] } }) => e.changes.title[1]);
      expect([...titles].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `Edit ${i}`).sort());
      // Each change starts from the one before it: nothing was overwritten unseen.
      const froms = res.body.results
        .slice(1)
        .map((e: { changes: { title: [string, string] } }) => e.changes.title[0]);
      expect(froms).toEqual(['Busy', ...titles.slice(0, -1)]);
      expect((await api.http.get(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth)).headers.etag).toBe(
        '"20"',
      );
    });
  });

  describe('Idempotency-Key', () => {
    it('answers a retry with the same key and body with the first answer, appending once', async () => {
      const key = `create-${Date.now()}`;
      const body = { project: acme.projects.Tracker, title: 'Exactly once', priority: 'high' };
      const first = await api.http
        .post('/api/v1/issues/')
        .set(acme.member.auth)
        .set('Idempotency-Key', key)
        .send(body);
      expectStatus(first, 201);
      const before = await eventCount();
      const retry = await api.http
        .post('/api/v1/issues')
        .set(acme.member.auth)
        .set('Idempotency-Key', key)
        .send(body);
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.text).toBe(first.text);
      for (const header of ['location', 'x-position', 'etag', 'content-type'])
        expect(retry.headers[header]).toBe(first.headers[header]);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(await eventCount()).toBe(before);
      const { rows } = await api.pool.query(
        `SELECT 1 FROM events WHERE type = 'IssueCreated' AND data->>'title' = 'Exactly once'`,
      );
      expect(rows).toHaveLength(1);
    });

    it('answers a retry sent right after the first answer with the first answer, every time', async () => {
      for (let i = 0; i < 10; i++) {
        const key = `quick-${i}-${Date.now()}`;
        const body = { project: acme.projects.Tracker, title: `Quick ${i}` };
        const first = await api.http
          .post('/api/v1/issues/')
          .set(acme.owner.auth)
          .set('Idempotency-Key', key)
          .send(body);
        const retry = await api.http
          .post('/api/v1/issues/')
          .set(acme.owner.auth)
          .set('Idempotency-Key', key)
          .send(body);
        expectStatus(first, 201);
        expect({ status: retry.status, body: retry.body }).toEqual({ status: 201, body: first.body });
      }
    });

    it('refuses the same key with a different body, or on another route, with 422 naming Idempotency-Key', async () => {
      const key = `different-${Date.now()}`;
      expectStatus(
        await api.http
          .post('/api/v1/issues/')
          .set(acme.owner.auth)
          .set('Idempotency-Key', key)
          .send({ project: acme.projects.Tracker, title: 'One' }),
        201,
      );
      const before = await eventCount();
      expectProblem(
        await api.http
          .post('/api/v1/issues/')
          .set(acme.owner.auth)
          .set('Idempotency-Key', key)
          .send({ project: acme.projects.Tracker, title: 'Two' }),
        422,
        ['Idempotency-Key'],
      );
      expectProblem(
        await api.http
          .post('/api/v1/projects/')
          .set(acme.owner.auth)
          .set('Idempotency-Key', key)
          .send({ organization: acme.id, name: 'One' }),
        422,
      );
      expect(await eventCount()).toBe(before);
    });

    it('keeps keys per caller: another user with the same key and body runs their own command', async () => {
      const key = `shared-${Date.now()}`;
      const body = { project: acme.projects.Tracker, title: 'Same key, two people' };
      const mine = await api.http
        .post('/api/v1/issues/')
        .set(acme.owner.auth)
        .set('Idempotency-Key', key)
        .send(body);
      const theirs = await api.http
        .post('/api/v1/issues/')
        .set(acme.member.auth)
        .set('Idempotency-Key', key)
        .send(body);
      expectStatus(mine, 201);
      expectStatus(theirs, 201);
      expect(theirs.body.id).not.toBe(mine.body.id);
      expect(theirs.body.created_by).toBe(acme.member.id);
    });

    it('appends once when retries with the same key race each other', async () => {
      const key = `race-${Date.now()}`;
      const body = { project: acme.projects.Tracker, title: 'Raced' };
      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          api.http.post('/api/v1/issues/').set(acme.owner.auth).set('Idempotency-Key', key).send(body),
        ),
      );
      for (const r of responses) expect([201, 409]).toContain(r.status);
      const created = responses.filter((r) => r.status === 201);
      expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
      const { rows } = await api.pool.query(
        `SELECT 1 FROM events WHERE type = 'IssueCreated' AND data->>'title' = 'Raced'`,
      );
      expect(rows).toHaveLength(1);
    });

    it('replays organization, project and member creation, so a retried add is not "already a member"', async () => {
      const orgKey = `org-${Date.now()}`;
      const a = await api.http
        .post('/api/v1/organizations/')
        .set(acme.owner.auth)
        .set('Idempotency-Key', orgKey)
        .send({ name: 'Once' });
      const b = await api.http
        .post('/api/v1/organizations/')
        .set(acme.owner.auth)
        .set('Idempotency-Key', orgKey)
        .send({ name: 'Once' });
      expectStatus(b, 201);
      expect(b.body).toEqual(a.body);
      const projectKey = `project-${Date.now()}`;
      const p = await api.http
        .post('/api/v1/projects/')
        .set(acme.owner.auth)
        .set('Idempotency-Key', projectKey)
        .send({ organization: a.body.id, name: 'P' });
      const q = await api.http
        .post('/api/v1/projects/')
        .set(acme.owner.auth)
        .set('Idempotency-Key', projectKey)
        .send({ organization: a.body.id, name: 'P' });
      expect(q.body).toEqual(p.body);
      const guest = await api.user('guest');
      const memberKey = `member-${Date.now()}`;
      const add = () =>
        api.http
          .post(`/api/v1/organizations/${a.body.id}/members/`)
          .set(acme.owner.auth)
          .set('Idempotency-Key', memberKey)
          .send({ user_id: guest.id });
      const added = await add();
      const again = await add();
      expectStatus(added, 201);
      expectStatus(again, 201);
      expect(again.body).toEqual(added.body);
      expect(
        (await api.http.get('/api/v1/organizations/').set(acme.owner.auth)).body.results.filter(
          (o: { name: string }) => o.name === 'Once',
        ),
      ).toHaveLength(1);
    });

    it('replays a refusal as it was', async () => {
      const key = `refused-${Date.now()}`;
      const first = await api.http
        .post('/api/v1/issues/')
        .set(acme.owner.auth)
        .set('Idempotency-Key', key)
        .send({ project: acme.projects.Tracker, title: '' });
      expectProblem(first, 400, ['title']);
      const again = await api.http
        .post('/api/v1/issues/')
        .set(acme.owner.auth)
        .set('Idempotency-Key', key)
        .send({ project: acme.projects.Tracker, title: '' });
      expectProblem(again, 400, ['title']);
      expect(again.body).toEqual(first.body);
    });

    it('keeps no 412: a retry under the current ETag with the same key runs, and is replayed after', async () => {
      const club = await createOrganization(api, acme.owner, `Keyed ${Date.now()}`);
      const guest = await api.user('keyed');
      const key = `stale-${Date.now()}`;
      const add = (etag: string) =>
        api.http
          .post(`/api/v1/organizations/${club}/members/`)
          .set(acme.owner.auth)
          .set('Idempotency-Key', key)
          .set('If-Match', etag)
          .send({ user_id: guest.id });
      expectProblem(await add('"7"'), 412, ['If-Match']);
      const current = (await api.http.get(`/api/v1/organizations/${club}/`).set(acme.owner.auth)).headers
        .etag as string;
      const applied = await add(current);
      expectStatus(applied, 201);
      const replayed = await add(current);
      expectStatus(replayed, 201);
      expect(replayed.body).toEqual(applied.body);
      expect(await streamLength(`organization-${club}`)).toBe(2);
    });

    it.each([['x'.repeat(256)], ['with space'], ['tab\there']])(
      'refuses the key %j with 400 naming Idempotency-Key',
      async (key) => {
        const res = await api.http
          .post('/api/v1/issues/')
          .set(acme.owner.auth)
          .set('Idempotency-Key', key)
          .send({ project: acme.projects.Tracker, title: 'x' });
        expectProblem(res, 400, ['Idempotency-Key']);
      },
    );
  });

  describe('Prefer: respond-async', () => {
    it('answers a creation with 202, the position, a Location and X-Position; a read at that position sees it', async () => {
      const res = await api.http
        .post('/api/v1/issues/')
        .set(acme.owner.auth)
        .set('Prefer', 'respond-async')
        .send({ project: acme.projects.Tracker, title: 'Later' });
      expectStatus(res, 202);
      expect(res.body).toEqual({ position: expect.stringMatching(POSITION) });
      expect(res.headers['x-position']).toBe(res.body.position);
      expect(res.headers.location).toMatch(/^\/api\/v1\/issues\/[0-9a-f-]{36}\/$/);
      expect(res.headers['preference-applied']).toBe('respond-async');
      const read = await api.http
        .get(`${res.headers.location}?min_position=${res.body.position}`)
        .set(acme.owner.auth);
      expectStatus(read, 200);
      expect(read.body.title).toBe('Later');
    });

    it('answers PATCH and DELETE with 202, the position and a Location too', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker);
      const patched = await api.http
        .patch(`/api/v1/issues/${issue.id}/`)
        .set(acme.owner.auth)
        .set('Prefer', 'return=minimal, respond-async')
        .send({ status: 'blocked' });
      expectStatus(patched, 202);
      expect(patched.body).toEqual({ position: patched.headers['x-position'] });
      expect(patched.headers.location).toBe(`/api/v1/issues/${issue.id}/`);
      const read = await api.http
        .get(`/api/v1/issues/${issue.id}/`)
        .set(acme.owner.auth)
        .set('X-Min-Position', patched.body.position);
      expect(read.body.status).toBe('blocked');

      const deleted = await api.http
        .delete(`/api/v1/issues/${issue.id}/`)
        .set(acme.owner.auth)
        .set('Prefer', 'respond-async');
      expectStatus(deleted, 202);
      expect(deleted.body.position).toMatch(POSITION);
      expect(deleted.headers.location).toBe(`/api/v1/issues/${issue.id}/`);
      expectProblem(
        await api.http
          .get(`/api/v1/issues/${issue.id}/?min_position=${deleted.body.position}`)
          .set(acme.owner.auth),
        404,
      );
    });

    it('replays a 202 for a retried asynchronous creation', async () => {
      const key = `async-${Date.now()}`;
      const send = () =>
        api.http
          .post('/api/v1/issues/')
          .set(acme.owner.auth)
          .set('Prefer', 'respond-async')
          .set('Idempotency-Key', key)
          .send({ project: acme.projects.Tracker, title: 'Async once' });
      const first = await send();
      const again = await send();
      expectStatus(first, 202);
      expect({ status: again.status, body: again.body, location: again.headers.location }).toEqual({
        status: 202,
        body: first.body,
        location: first.headers.location,
      });
    });
  });

  describe('min_position and X-Min-Position', () => {
    it('waits for a position it is given and answers, on single resources and lists', async () => {
      const res = await api.http
        .post('/api/v1/issues/')
        .set(acme.owner.auth)
        .set('Prefer', 'respond-async')
        .send({ project: acme.projects.Tracker, title: 'Waited for' });
      const position = res.body.position as string;
      const list = await api.http
        .get(`/api/v1/issues/?project=${acme.projects.Tracker}&min_position=${position}&limit=1`)
        .set(acme.owner.auth);
      expectStatus(list, 200);
      expect(list.body.results[0].title).toBe('Waited for');
      // The next page does not wait again.
      expect(new URL(list.body.next).searchParams.has('min_position')).toBe(false);
      for (const path of [
        `/api/v1/organizations/?min_position=${position}`,
        `/api/v1/organizations/${acme.id}/?min_position=${position}`,
        `/api/v1/organizations/${acme.id}/members/?min_position=${position}`,
        `/api/v1/memberships/?min_position=${position}`,
        `/api/v1/projects/?min_position=${position}`,
        `/api/v1/projects/${acme.projects.Tracker}/?min_position=${position}`,
        `${res.headers.location}history/?min_position=${position}`,
      ]) {
        expectStatus(await api.http.get(path).set(acme.owner.auth), 200);
        expectStatus(
          await api.http
            .get(path.replace(/[?&]min_position=.*$/, ''))
            .set(acme.owner.auth)
            .set('X-Min-Position', position),
          200,
        );
      }
    });

    it.each(['yesterday', '42', '0000000000000000', 'FFFFFFFFFFFFFFFF-0000000000000000'])(
      'refuses min_position=%s with 400 naming min_position, and the same header with 400 naming X-Min-Position',
      async (value) => {
        expectProblem(await api.http.get(`/api/v1/issues/?min_position=${value}`).set(acme.owner.auth), 400, [
          'min_position',
        ]);
        expectProblem(
          await api.http
            .get(`/api/v1/projects/${acme.projects.Tracker}/`)
            .set(acme.owner.auth)
            .set('X-Min-Position', value),
          400,
          ['X-Min-Position'],
        );
      },
    );

    it('answers 503 with Retry-After when the read models do not reach the position in time', async () => {
      const res = await api.http
        .get('/api/v1/issues/?min_position=7fffffffffffffff-0000000000000000')
        .set(acme.owner.auth);
      expectProblem(res, 503);
      expect(res.headers['retry-after']).toBe('1');
    }, 20_000);
  });
});

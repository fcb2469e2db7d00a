/**
 * Comments and watchers over HTTP: members comment (`@username` mentions a member), edit their own comments (every
 * version kept in the issue's history), delete their own (owners and managers any); issues show `comment_count` and
 * `watching`; comment events reach the project's room (and its resume); the read models equal a rebuild.
 */
import type { TestUser } from '../../test/support/api';
import { anOrganization, createIssue } from '../../test/support/fixtures';
import { expectProblem, expectStatus } from '../../test/support/http';
import { connect, useServedRooms } from '../../test/support/realtime';
import { useFixture, useTestApi } from '../../test/support/suite';
import { foldFromScratch, liveTables, tableDifferences } from '../reliability/support/read-models';

interface Comment {
  id: string;
  issue: string;
  author: { id: string; username: string | null };
  body: string;
  created_at: string;
  edited_at: string | null;
}

describe('comments and watchers over HTTP', () => {
  const api = useTestApi();
  const served = useServedRooms(api);
  const acme = useFixture(() =>
    anOrganization(api, 'Acme')
      .withMember('manager', 'manager')
      .withMember('alice')
      .withMember('bob')
      .withProject('Web')
      .build(),
  );
  const globex = useFixture(() => anOrganization(api, 'Globex').withProject('Shop').build());

  const comment = async (issueId: string, body: string, by: TestUser = acme.alice) => {
    const res = await api.http.post(`/api/v1/issues/${issueId}/comments/`).set(by.auth).send({ body });
    expectStatus(res, 201);
    return res.body as Comment;
  };
  const comments = async (issueId: string, by: TestUser = acme.bob, query = '') =>
    (await api.http.get(`/api/v1/issues/${issueId}/comments/${query}`).set(by.auth).expect(200)).body as {
      results: Comment[];
      next: string | null;
    };
  const issue = async (issueId: string, by: TestUser) =>
    (await api.http.get(`/api/v1/issues/${issueId}/`).set(by.auth).expect(200)).body as Record<
      string,
      unknown
    >;

  it('a member comments: 201 with the trimmed body, its author and a Location; the issue counts it', async () => {
    const { id } = await createIssue(api, acme.owner, acme.projects.Web);
    const res = await api.http
      .post(`/api/v1/issues/${id}/comments/`)
      .set(acme.alice.auth)
      .send({ body: '  First!  ' });
    expectStatus(res, 201);
    expect(res.body).toEqual({
      id: expect.any(String),
      issue: id,
      author: { id: acme.alice.id, username: acme.alice.username },
      body: 'First!',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      edited_at: null,
    });
    expect(res.headers.location).toBe(`/api/v1/comments/${res.body.id}/`);
    expect(await issue(id, acme.bob)).toMatchObject({ comment_count: 1, watching: false });
    expect(await issue(id, acme.alice)).toMatchObject({ comment_count: 1, watching: true });
  });

  it('lists comments oldest first in keyset pages', async () => {
    const { id } = await createIssue(api, acme.owner, acme.projects.Web);
    for (const body of ['one', 'two', 'three']) await comment(id, body);
    const first = await comments(id, acme.bob, '?limit=2');
    expect(first.results.map((c) => c.body)).toEqual(['one', 'two']);
    expect(first.next).toEqual(expect.any(String));
    const next = new URL(first.next!, 'http://x');
    const second = await comments(
      id,
      acme.bob,
      `?limit=2&cursor=${encodeURIComponent(next.searchParams.get('cursor')!)}`,
    );
    expect(second.results.map((c) => c.body)).toEqual(['three']);
    expect(second.next).toBeNull();
  });

  it('refuses a blank or too long body with 400 naming body; an outsider gets 404 on every route', async () => {
    const { id } = await createIssue(api, acme.owner, acme.projects.Web);
    for (const body of [{ body: '   ' }, { body: 'x'.repeat(10_001) }, {}, { body: 7 }])
      expectProblem(
        await api.http.post(`/api/v1/issues/${id}/comments/`).set(acme.alice.auth).send(body),
        400,
        ['body'],
      );
    const mine = await comment(id, 'hello');
    const outsider = globex.owner;
    expectProblem(
      await api.http.post(`/api/v1/issues/${id}/comments/`).set(outsider.auth).send({ body: 'hi' }),
      404,
    );
    expectProblem(await api.http.get(`/api/v1/issues/${id}/comments/`).set(outsider.auth), 404);
    expectProblem(
      await api.http.patch(`/api/v1/comments/${mine.id}/`).set(outsider.auth).send({ body: 'x' }),
      404,
    );
    expectProblem(await api.http.delete(`/api/v1/comments/${mine.id}/`).set(outsider.auth), 404);
    expectProblem(await api.http.post(`/api/v1/issues/${id}/watch/`).set(outsider.auth).send({}), 404);
    expectProblem(await api.http.delete(`/api/v1/issues/${id}/watch/`).set(outsider.auth), 404);
  });

  it('its author edits it (others get 403); every version stays in the issue history', async () => {
    const { id } = await createIssue(api, acme.owner, acme.projects.Web);
    const c = await comment(id, 'v1');
    expectProblem(
      await api.http.patch(`/api/v1/comments/${c.id}/`).set(acme.owner.auth).send({ body: 'owned' }),
      403,
    );
    for (const body of ['v2', 'v3']) {
      const res = await api.http.patch(`/api/v1/comments/${c.id}/`).set(acme.alice.auth).send({ body });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ id: c.id, body, edited_at: expect.any(String) });
    }
    const history = (await api.http.get(`/api/v1/issues/${id}/history/`).set(acme.bob.auth).expect(200)).body
      .results as { type: string; changes: Record<string, unknown> }[];
    expect(history.filter((h) => h.type.startsWith('Comment'))).toEqual([
      expect.objectContaining({
        type: 'CommentAdded',
        changes: { comment: [null, { id: c.id, body: 'v1' }] },
      }),
      expect.objectContaining({
        type: 'CommentEdited',
        changes: {
          comment: [
            { id: c.id, body: 'v1' },
            { id: c.id, body: 'v2' },
          ],
        },
      }),
      expect.objectContaining({
        type: 'CommentEdited',
        changes: {
          comment: [
            { id: c.id, body: 'v2' },
            { id: c.id, body: 'v3' },
          ],
        },
      }),
    ]);
    // The owner's audit of the organization has them too.
    const audit = await api.http
      .get(`/api/v1/organizations/${acme.id}/audit/?type=CommentEdited&limit=2`)
      .set(acme.owner.auth)
      .expect(200);
    expect((audit.body.results as { type: string }[]).map((e) => e.type)).toEqual([
      'CommentEdited',
      'CommentEdited',
    ]);
  });

  it('deletes: its author, an owner and a manager may (204); another member gets 403, an outsider 404', async () => {
    const { id } = await createIssue(api, acme.owner, acme.projects.Web);
    const byAuthor = await comment(id, 'mine');
    const byOwner = await comment(id, 'owner deletes');
    const byManager = await comment(id, 'manager deletes');
    expectProblem(await api.http.delete(`/api/v1/comments/${byAuthor.id}/`).set(acme.bob.auth), 403);
    expectProblem(await api.http.delete(`/api/v1/comments/${byAuthor.id}/`).set(globex.owner.auth), 404);
    await api.http.delete(`/api/v1/comments/${byAuthor.id}/`).set(acme.alice.auth).expect(204);
    await api.http.delete(`/api/v1/comments/${byOwner.id}/`).set(acme.owner.auth).expect(204);
    await api.http.delete(`/api/v1/comments/${byManager.id}/`).set(acme.manager.auth).expect(204);
    expect((await comments(id)).results).toEqual([]);
    expect(await issue(id, acme.bob)).toMatchObject({ comment_count: 0 });
    expectProblem(await api.http.delete(`/api/v1/comments/${byAuthor.id}/`).set(acme.alice.auth), 404);
    expectProblem(
      await api.http.patch(`/api/v1/comments/${byAuthor.id}/`).set(acme.alice.auth).send({ body: 'back?' }),
      404,
    );
  });

  it('a comment on a deleted issue is 404; the issue restored brings its comments back', async () => {
    const { id } = await createIssue(api, acme.owner, acme.projects.Web);
    await comment(id, 'before');
    await api.http.delete(`/api/v1/issues/${id}/`).set(acme.owner.auth).expect(204);
    expectProblem(
      await api.http.post(`/api/v1/issues/${id}/comments/`).set(acme.alice.auth).send({ body: 'late' }),
      404,
    );
    expectProblem(await api.http.get(`/api/v1/issues/${id}/comments/`).set(acme.alice.auth), 404);
    await api.http.post(`/api/v1/issues/${id}/restore/`).set(acme.owner.auth).send({}).expect(200);
    expect((await comments(id)).results.map((c) => c.body)).toEqual(['before']);
    expect(await issue(id, acme.bob)).toMatchObject({ comment_count: 1 });
  });

  it('watch and unwatch answer 204 and show in watching; the creator and the assignee watch automatically', async () => {
    const { id } = await createIssue(api, acme.owner, acme.projects.Web, { assigned_to_id: acme.alice.id });
    expect(await issue(id, acme.owner)).toMatchObject({ watching: true });
    expect(await issue(id, acme.alice)).toMatchObject({ watching: true });
    expect(await issue(id, acme.bob)).toMatchObject({ watching: false });
    await api.http.post(`/api/v1/issues/${id}/watch/`).set(acme.bob.auth).send({}).expect(204);
    await api.http.post(`/api/v1/issues/${id}/watch/`).set(acme.bob.auth).expect(204);
    expect(await issue(id, acme.bob)).toMatchObject({ watching: true });
    await api.http.delete(`/api/v1/issues/${id}/watch/`).set(acme.alice.auth).expect(204);
    // An explicit unwatch wins over commenting until they watch again.
    await comment(id, 'still not watching', acme.alice);
    expect(await issue(id, acme.alice)).toMatchObject({ watching: false });
    const listed = (
      await api.http.get(`/api/v1/issues/?project=${acme.projects.Web}`).set(acme.bob.auth).expect(200)
    ).body.results as { id: string; watching: boolean; comment_count: number }[];
    expect(listed.find((i) => i.id === id)).toMatchObject({ watching: true, comment_count: 1 });
  });

  it('comment events reach the project room as comment.created / updated / deleted, and a resume replays them', async () => {
    const { id, position } = await createIssue(api, acme.owner, acme.projects.Web);
    const socket = connect(served.wsUrl(`/ws/projects/${acme.projects.Web}/?token=${acme.bob.access}`));
    await socket.opened;
    const c = await comment(id, 'live');
    await api.http
      .patch(`/api/v1/comments/${c.id}/`)
      .set(acme.alice.auth)
      .send({ body: 'edited' })
      .expect(200);
    await api.http.post(`/api/v1/issues/${id}/watch/`).set(acme.bob.auth).send({}).expect(204);
    await api.http.delete(`/api/v1/comments/${c.id}/`).set(acme.alice.auth).expect(204);
    const messages = await socket.waitFor(3);
    await socket.close();
    const expected = [
      {
        type: 'comment.created',
        issue_id: id,
        actor_id: acme.alice.id,
        comment: { ...c },
      },
      {
        type: 'comment.updated',
        issue_id: id,
        comment: { ...c, body: 'edited', edited_at: expect.any(String) },
      },
      { type: 'comment.deleted', issue_id: id, comment: { id: c.id, issue: id } },
    ].map((m) =>
      expect.objectContaining({ ...m, position: expect.any(String), occurred_at: expect.any(String) }),
    );
    expect(messages).toEqual(expected);
    const resumed = connect(
      served.wsUrl(`/ws/projects/${acme.projects.Web}/?token=${acme.bob.access}&since=${position}`),
    );
    await resumed.opened;
    expect(await resumed.waitFor(3)).toEqual(expected);
    await resumed.close();
  });

  it('the comments and watchers read models equal a rebuild from the log', async () => {
    const { id } = await createIssue(api, acme.owner, acme.projects.Web, { assigned_to_id: acme.bob.id });
    const c = await comment(id, 'rebuild me @bob');
    await api.http
      .patch(`/api/v1/comments/${c.id}/`)
      .set(acme.alice.auth)
      .send({ body: 'rebuilt' })
      .expect(200);
    await comment(id, 'second', acme.bob);
    await api.http.delete(`/api/v1/comments/${c.id}/`).set(acme.owner.auth).expect(204);
    await api.http.delete(`/api/v1/issues/${id}/watch/`).set(acme.bob.auth).expect(204);
    await api.http.post(`/api/v1/issues/${id}/watch/`).set(acme.manager.auth).send({}).expect(204);
    const live = await liveTables(api.knex);
    const rebuilt = await foldFromScratch(api.system.store, live.position);
    expect(live.tables.issue_comments?.length).toBeGreaterThan(0);
    expect(live.tables.issue_watchers?.length).toBeGreaterThan(0);
    expect(tableDifferences(live.tables, rebuilt)).toEqual([]);
  });
});

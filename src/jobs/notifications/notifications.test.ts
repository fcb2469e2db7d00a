/**
 * The notifications reaction over HTTP: who is told what about each issue change (never the actor, never someone
 * who left), and `/notifications/`: newest first in keyset pages, unread only, marking read — each user their own.
 */
import type { TestApi, TestUser } from '../../../test/support/api';
import { eventually } from '../../../test/support/eventually';
import { anOrganization, createIssue } from '../../../test/support/fixtures';
import { expectProblem, expectStatus } from '../../../test/support/http';
import { type NotificationItem, notificationsOf } from '../../../test/support/jobs';
import { useFixture, useTestApi } from '../../../test/support/suite';
import { notificationsReaction } from './reaction';
import { WriteBatch } from '../../projections/shared/sql';

const patch = async (api: TestApi, by: TestUser, issueId: string, body: object): Promise<string> => {
  const res = await api.http.patch(`/api/v1/issues/${issueId}/`).set(by.auth).send(body);
  expectStatus(res, 200);
  return res.headers['x-position'] as string;
};

/** What the user was told about one issue, oldest first, once the reactions reached `position`. */
const about = async (api: TestApi, user: TestUser, issueId: string, position: string) =>
  (await notificationsOf(api, user, { position, query: 'limit=100' }))
    .filter((n) => n.issue === issueId)
    .reverse()
    .map((n) => ({ kind: n.kind, message: n.message }));

describe('notifications of issue changes', () => {
  const api = useTestApi();
  /** Team: an owner, a manager, two members; a project. */
  const team = useFixture(() =>
    anOrganization(api, 'Team')
      .withMember('manager', 'manager')
      .withMember('alice')
      .withMember('bob')
      .withProject('Board')
      .build(),
  );

  it('tells the assignee of an assignment, once, and not the one who assigned', async () => {
    const issue = await createIssue(api, team.owner, team.projects.Board, { title: 'Fix login' });
    const position = await patch(api, team.owner, issue.id, { assigned_to_id: team.alice.id });
    const [notification, ...others] = (await notificationsOf(api, team.alice, { position })).filter(
      (n) => n.issue === issue.id,
    );
    expect(others).toEqual([]);
    expect(notification).toEqual<NotificationItem>({
      id: expect.any(String),
      kind: 'issue.assigned',
      issue: issue.id,
      project: team.projects.Board,
      message: `${team.owner.username} assigned you ${issue.body.key} “Fix login”`,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      read_at: null,
    });
    expect(await about(api, team.owner, issue.id, position)).toEqual([]);
  });

  it('tells the assignee of an issue created for them; assigning yourself tells nobody', async () => {
    const forAlice = await createIssue(api, team.owner, team.projects.Board, {
      title: 'For Alice',
      assigned_to_id: team.alice.id,
    });
    const mine = await createIssue(api, team.bob, team.projects.Board, {
      title: 'Mine',
      assigned_to_id: team.bob.id,
    });
    expect(await about(api, team.alice, forAlice.id, forAlice.position)).toEqual([
      {
        kind: 'issue.assigned',
        message: `${team.owner.username} created ${forAlice.body.key} “For Alice” and assigned it to you`,
      },
    ]);
    expect(await about(api, team.bob, mine.id, mine.position)).toEqual([]);
  });

  it('tells the new and the previous assignee of a reassignment, and the previous one of an unassignment', async () => {
    const issue = await createIssue(api, team.owner, team.projects.Board, {
      title: 'Handover',
      assigned_to_id: team.alice.id,
    });
    await patch(api, team.manager, issue.id, { assigned_to_id: team.bob.id });
    const position = await patch(api, team.manager, issue.id, { assigned_to_id: null });
    const manager = team.manager.username;
    const key = issue.body.key as string;
    expect(await about(api, team.alice, issue.id, position)).toEqual([
      {
        kind: 'issue.assigned',
        message: `${team.owner.username} created ${key} “Handover” and assigned it to you`,
      },
      { kind: 'issue.unassigned', message: `${manager} unassigned you from ${key} “Handover”` },
    ]);
    expect(await about(api, team.bob, issue.id, position)).toEqual([
      { kind: 'issue.assigned', message: `${manager} assigned you ${key} “Handover”` },
      { kind: 'issue.unassigned', message: `${manager} unassigned you from ${key} “Handover”` },
    ]);
    expect(await about(api, team.manager, issue.id, position)).toEqual([]);
  });

  it('tells the creator and the assignee of a status change, but not whichever of them made it', async () => {
    const issue = await createIssue(api, team.bob, team.projects.Board, {
      title: 'Status',
      assigned_to_id: team.alice.id,
    });
    await patch(api, team.alice, issue.id, { status: 'in_progress' });
    await patch(api, team.bob, issue.id, { status: 'blocked' });
    const position = await patch(api, team.owner, issue.id, { status: 'done' });
    expect((await about(api, team.bob, issue.id, position)).map((n) => n.message)).toEqual([
      `${team.alice.username} moved ${issue.body.key} “Status” from open to in progress`,
      `${team.owner.username} moved ${issue.body.key} “Status” from blocked to done`,
    ]);
    expect((await about(api, team.alice, issue.id, position)).map((n) => n.message)).toEqual([
      `${team.bob.username} created ${issue.body.key} “Status” and assigned it to you`,
      `${team.bob.username} moved ${issue.body.key} “Status” from in progress to blocked`,
      `${team.owner.username} moved ${issue.body.key} “Status” from blocked to done`,
    ]);
    expect(await about(api, team.owner, issue.id, position)).toEqual([]);
  });

  it('tells the watchers (the assignee among them) of due date, title and priority changes (one per change), not of the description', async () => {
    const issue = await createIssue(api, team.owner, team.projects.Board, {
      title: 'Fields',
      assigned_to_id: team.alice.id,
    });
    const position = await patch(api, team.bob, issue.id, {
      due_date: '2030-01-31',
      title: 'Fields, renamed',
      priority: 'high',
      description: 'more words',
    });
    const told = await about(api, team.alice, issue.id, position);
    const bob = team.bob.username;
    expect(told.slice(1).sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      {
        kind: 'issue.due_date_changed',
        message: `${bob} set the due date of ${issue.body.key} “Fields, renamed” to 2030-01-31`,
      },
      { kind: 'issue.priority_changed', message: expect.stringMatching(/from medium to high$/) },
      {
        kind: 'issue.title_changed',
        message: `${bob} renamed ${issue.body.key} “Fields” to “Fields, renamed”`,
      },
    ]);
    const cleared = await patch(api, team.bob, issue.id, { due_date: null });
    expect((await about(api, team.alice, issue.id, cleared)).at(-1)).toEqual({
      kind: 'issue.due_date_changed',
      message: `${bob} removed the due date of ${issue.body.key} “Fields, renamed”`,
    });
  });

  it('tells the creator and the assignee of a deletion and of a restore', async () => {
    const issue = await createIssue(api, team.bob, team.projects.Board, {
      title: 'Gone',
      assigned_to_id: team.alice.id,
    });
    await api.http.delete(`/api/v1/issues/${issue.id}/`).set(team.manager.auth).expect(204);
    const restored = await api.http
      .post(`/api/v1/issues/${issue.id}/restore/`)
      .set(team.manager.auth)
      .send({});
    expectStatus(restored, 200);
    const position = restored.headers['x-position'] as string;
    const manager = team.manager.username;
    for (const user of [team.bob, team.alice]) {
      expect((await about(api, user, issue.id, position)).filter((n) => n.kind !== 'issue.assigned')).toEqual(
        [
          { kind: 'issue.deleted', message: `${manager} deleted ${issue.body.key} “Gone”` },
          { kind: 'issue.restored', message: `${manager} restored ${issue.body.key} “Gone”` },
        ],
      );
    }
  });

  it('tells someone who left the organization nothing more about it, not even the release of their issues', async () => {
    const leaver = await api.user('leaver');
    await api.http
      .post(`/api/v1/organizations/${team.id}/members/`)
      .set(team.owner.auth)
      .send({ user_id: leaver.id })
      .expect(201);
    const issue = await createIssue(api, team.owner, team.projects.Board, {
      title: 'Left behind',
      assigned_to_id: leaver.id,
    });
    await api.http
      .delete(`/api/v1/organizations/${team.id}/members/${leaver.id}/`)
      .set(team.owner.auth)
      .expect(204);
    await eventually(async () => {
      const read = await api.http.get(`/api/v1/issues/${issue.id}/`).set(team.owner.auth);
      expect(read.body.assigned_to).toBeNull();
    });
    const position = await patch(api, team.owner, issue.id, { status: 'in_progress' });
    expect(await about(api, leaver, issue.id, position)).toEqual([
      {
        kind: 'issue.assigned',
        message: `${team.owner.username} created ${issue.body.key} “Left behind” and assigned it to you`,
      },
    ]);
  });

  describe('comments, mentions and watchers', () => {
    const comment = async (by: TestUser, issueId: string, body: string) => {
      const res = await api.http.post(`/api/v1/issues/${issueId}/comments/`).set(by.auth).send({ body });
      expectStatus(res, 201);
      return { id: res.body.id as string, position: res.headers['x-position'] as string };
    };
    const kinds = async (user: TestUser, issueId: string, position: string) =>
      (await about(api, user, issueId, position)).map((n) => n.kind);

    it('tells the watchers of a comment and each mentioned member of the mention only, once; never the actor', async () => {
      // bob created it (watcher), alice is assigned (watcher); the manager and the owner watch nothing.
      const issue = await createIssue(api, team.bob, team.projects.Board, {
        title: 'Talk',
        assigned_to_id: team.alice.id,
      });
      const { position } = await comment(
        team.bob,
        issue.id,
        `@${team.alice.username} and @${team.manager.username}, look (twice: @${team.alice.username}); @nobody`,
      );
      const bob = team.bob.username;
      expect(await about(api, team.alice, issue.id, position)).toEqual([
        expect.objectContaining({ kind: 'issue.assigned' }),
        {
          kind: 'comment.mentioned',
          message: `${bob} mentioned you in a comment on ${issue.body.key} “Talk”`,
        },
      ]);
      expect(await about(api, team.manager, issue.id, position)).toEqual([
        {
          kind: 'comment.mentioned',
          message: `${bob} mentioned you in a comment on ${issue.body.key} “Talk”`,
        },
      ]);
      expect(await kinds(team.bob, issue.id, position)).toEqual([]);
      expect(await kinds(team.owner, issue.id, position)).toEqual([]);
      // The owner comments: the watchers (bob, alice, and the manager? no: a mention does not watch) hear of it.
      const second = await comment(team.owner, issue.id, 'Agreed.');
      expect(await kinds(team.bob, issue.id, second.position)).toEqual(['comment.created']);
      expect((await about(api, team.alice, issue.id, second.position)).at(-1)).toEqual({
        kind: 'comment.created',
        message: `${team.owner.username} commented on ${issue.body.key} “Talk”`,
      });
      expect(await kinds(team.manager, issue.id, second.position)).toEqual(['comment.mentioned']);
      expect(await kinds(team.owner, issue.id, second.position)).toEqual([]);
    });

    it('a mention notifies once even when the reaction reads the event again', async () => {
      const issue = await createIssue(api, team.owner, team.projects.Board, { title: 'Once' });
      const { position } = await comment(team.owner, issue.id, `ping @${team.alice.username}`);
      expect(await kinds(team.alice, issue.id, position)).toEqual(['comment.mentioned']);
      const events = await api.system.store.readStream(`issue-${issue.id}`);
      const added = events.filter((e) => e.type === 'CommentAdded');
      await api.knex.transaction(async (trx) => {
        const writes = new WriteBatch(trx);
        await notificationsReaction({ clock: () => new Date() }).apply(added, {
          trx,
          writes,
          acts: () => true,
          emit: () => undefined,
          wake: () => undefined,
        });
        await writes.flush();
      });
      expect(await kinds(team.alice, issue.id, position)).toEqual(['comment.mentioned']);
    });

    it('an edit that adds a mention tells the newly mentioned once; one that keeps it tells nobody again', async () => {
      const issue = await createIssue(api, team.owner, team.projects.Board, { title: 'Edits' });
      const first = await comment(team.owner, issue.id, `hi @${team.alice.username}`);
      const edit = (body: string) =>
        api.http.patch(`/api/v1/comments/${first.id}/`).set(team.owner.auth).send({ body });
      await edit(`hi @${team.alice.username} and @${team.bob.username}`).expect(200);
      const last = await edit(`hello @${team.alice.username} and @${team.bob.username}`).expect(200);
      const position = last.headers['x-position'] as string;
      expect(await kinds(team.alice, issue.id, position)).toEqual(['comment.mentioned']);
      expect(await kinds(team.bob, issue.id, position)).toEqual(['comment.mentioned']);
    });

    it('watchers hear of changes; an explicit unwatch stops it (even when assigned later) until they watch again', async () => {
      const issue = await createIssue(api, team.owner, team.projects.Board, { title: 'Watched' });
      await api.http.post(`/api/v1/issues/${issue.id}/watch/`).set(team.bob.auth).send({}).expect(204);
      let position = await patch(api, team.manager, issue.id, { status: 'in_progress' });
      expect(await kinds(team.bob, issue.id, position)).toEqual(['issue.status_changed']);
      expect(await kinds(team.owner, issue.id, position)).toEqual(['issue.status_changed']);
      expect(await kinds(team.alice, issue.id, position)).toEqual([]);
      expect(await kinds(team.manager, issue.id, position)).toEqual([]);
      await api.http.delete(`/api/v1/issues/${issue.id}/watch/`).set(team.bob.auth).expect(204);
      await patch(api, team.manager, issue.id, { assigned_to_id: team.bob.id });
      position = await patch(api, team.manager, issue.id, { status: 'blocked' });
      // Being assigned is told to them; the status change is not (they unwatched).
      expect(await kinds(team.bob, issue.id, position)).toEqual(['issue.status_changed', 'issue.assigned']);
      await api.http.post(`/api/v1/issues/${issue.id}/watch/`).set(team.bob.auth).send({}).expect(204);
      position = await patch(api, team.manager, issue.id, { status: 'done' });
      expect((await kinds(team.bob, issue.id, position)).at(-1)).toBe('issue.status_changed');
      expect(await kinds(team.bob, issue.id, position)).toHaveLength(3);
    });
  });

  describe('GET /notifications/ and marking read', () => {
    /** A reader with five notifications, oldest to newest. */
    const reader = useFixture(async () => {
      const user = await api.user('reader');
      await api.http
        .post(`/api/v1/organizations/${team.id}/members/`)
        .set(team.owner.auth)
        .send({ user_id: user.id })
        .expect(201);
      let position = '';
      const titles = ['one', 'two', 'three', 'four', 'five'];
      for (const title of titles) {
        position = (
          await createIssue(api, team.owner, team.projects.Board, { title, assigned_to_id: user.id })
        ).position;
      }
      await notificationsOf(api, user, { position });
      return user;
    });

    const titleOf = (n: NotificationItem) => /“(.*)”/.exec(n.message)?.[1];

    it('lists the newest first, in keyset pages whose next URL keeps the filters', async () => {
      const first = await api.http.get('/api/v1/notifications/?limit=2').set(reader.auth);
      expectStatus(first, 200);
      expect(first.body.results.map(titleOf)).toEqual(['five', 'four']);
      const next = new URL(first.body.next);
      expect(next.searchParams.get('limit')).toBe('2');
      const second = await api.http.get(`${next.pathname}${next.search}`).set(reader.auth);
      expect(second.body.results.map(titleOf)).toEqual(['three', 'two']);
      const third = await api.http
        .get(`${new URL(second.body.next).pathname}${new URL(second.body.next).search}`)
        .set(reader.auth);
      expect(third.body.results.map(titleOf)).toEqual(['one']);
      expect(third.body.next).toBeNull();
    });

    it('marks one read (a second time keeps the first time), lists only unread ones on request, and marks all read', async () => {
      const [five, four] = await notificationsOf(api, reader);
      const read = await api.http.post(`/api/v1/notifications/${four!.id}/read/`).set(reader.auth).send({});
      expectStatus(read, 200);
      expect(read.body).toEqual({ ...four, read_at: expect.any(String) });
      const again = await api.http.post(`/api/v1/notifications/${four!.id}/read`).set(reader.auth);
      expect(again.body.read_at).toBe(read.body.read_at);
      const unread = await notificationsOf(api, reader, { query: 'unread=true' });
      expect(unread.map(titleOf)).toEqual(['five', 'three', 'two', 'one']);
      expect((await notificationsOf(api, reader, { query: 'unread=false' })).map(titleOf)).toHaveLength(5);
      expectStatus(await api.http.post('/api/v1/notifications/read-all/').set(reader.auth).send({}), 204);
      expect(await notificationsOf(api, reader, { query: 'unread=true' })).toEqual([]);
      expect((await notificationsOf(api, reader)).find((n) => n.id === five!.id)?.read_at).toEqual(
        expect.any(String),
      );
    });

    it("answers 404 for another user's notification and changes nothing; read-all reaches only the caller's", async () => {
      const [theirs] = await notificationsOf(api, team.alice, { query: 'unread=true' });
      expect(theirs).toBeDefined();
      expectProblem(
        await api.http.post(`/api/v1/notifications/${theirs!.id}/read/`).set(reader.auth).send({}),
        404,
      );
      expectProblem(
        await api.http
          .post('/api/v1/notifications/0190d7a6-0000-7000-8000-000000000000/read/')
          .set(reader.auth),
        404,
      );
      await api.http.post('/api/v1/notifications/read-all/').set(reader.auth).expect(204);
      const still = await notificationsOf(api, team.alice, { query: 'unread=true' });
      expect(still.map((n) => n.id)).toContain(theirs!.id);
      expect((await notificationsOf(api, reader)).map((n) => n.id)).not.toContain(theirs!.id);
    });

    it('refuses a bad filter, cursor or body with 400 naming it', async () => {
      expectProblem(await api.http.get('/api/v1/notifications/?unread=yes').set(reader.auth), 400, [
        'unread',
      ]);
      expectProblem(await api.http.get('/api/v1/notifications/?cursor=nope').set(reader.auth), 400, [
        'cursor',
      ]);
      expectProblem(
        await api.http.post('/api/v1/notifications/read-all/').set(reader.auth).send({ all: true }),
        400,
        ['all'],
      );
    });
  });
});

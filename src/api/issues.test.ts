/**
 * Issues over HTTP: create, read, update, delete, history and `as_of`, and the list with every filter, the full-text
 * search, every ordering and keyset paging.
 */
import type { TestUser } from '../../test/support/api';
import { anOrganization, createIssue } from '../../test/support/fixtures';
import { allPages, expectProblem, expectStatus } from '../../test/support/http';
import { useFixture, useTestApi } from '../../test/support/suite';

interface Issue {
  id: string;
  project: string;
  title: string;
  description: string;
  status: string;
  priority: string;
  due_date: string | null;
  assigned_to: { id: string; username: string | null } | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

const POSITION = /^[0-9a-f]{16}-[0-9a-f]{16}$/;

describe('issues over HTTP', () => {
  const api = useTestApi();
  /** Acme: its owner, a manager and a member, and its Tracker project. */
  const acme = useFixture(() =>
    anOrganization(api, 'Acme')
      .withMember('manager', 'manager')
      .withMember('member')
      .withProject('Tracker')
      .build(),
  );
  /** Who belongs to no organization. */
  const outsider = useFixture(() => api.user('outsider'));

  const get = (id: string, by: TestUser = acme.owner) => api.http.get(`/api/v1/issues/${id}/`).set(by.auth);
  const history = async (id: string, by: TestUser = acme.owner) =>
    (
      await allPages<{
        position: string;
        type: string;
        occurred_at: string;
        actor: unknown;
        changes: Record<string, unknown>;
      }>(api, by, `/api/v1/issues/${id}/history/`)
    ).results;

  describe('POST /issues/', () => {
    it('creates an issue with the defaults, Location, ETag and X-Position', async () => {
      const res = await api.http
        .post('/api/v1/issues/')
        .set(acme.member.auth)
        .send({ project: acme.projects.Tracker, title: '  Broken link  ' });
      expectStatus(res, 201);
      expect(res.body).toEqual({
        id: expect.any(String),
        project: acme.projects.Tracker,
        title: 'Broken link',
        description: '',
        status: 'open',
        priority: 'medium',
        due_date: null,
        assigned_to: null,
        created_by: acme.member.id,
        created_at: expect.any(String),
        updated_at: expect.any(String),
        key: expect.stringMatching(/^TRACKER-\d+$/),
        labels: [],
        comment_count: 0,
        // Its creator watches it; a manager reading it does not.
        watching: true,
        attachments: [],
      });
      expect(res.body.updated_at).toBe(res.body.created_at);
      expect(res.headers.location).toBe(`/api/v1/issues/${res.body.id}/`);
      expect(res.headers.etag).toBe('"0"');
      expect(res.headers['x-position']).toMatch(POSITION);
      const read = await get(res.body.id, acme.manager);
      expectStatus(read, 200);
      expect(read.body).toEqual({ ...res.body, watching: false });
      expect(read.headers.etag).toBe('"0"');
    });

    it('takes every writable field, without the trailing slash too', async () => {
      const res = await api.http.post('/api/v1/issues').set(acme.owner.auth).send({
        project: acme.projects.Tracker,
        title: 'All fields',
        description: 'Described',
        status: 'blocked',
        priority: 'critical',
        due_date: '2030-02-28',
        assigned_to_id: acme.member.id,
      });
      expectStatus(res, 201);
      expect(res.body).toMatchObject({
        description: 'Described',
        status: 'blocked',
        priority: 'critical',
        due_date: '2030-02-28',
        assigned_to: { id: acme.member.id, username: acme.member.username },
      });
    });

    it('accepts a title of 255 characters after trimming and null for the optional fields', async () => {
      const res = await api.http
        .post('/api/v1/issues/')
        .set(acme.owner.auth)
        .send({
          project: acme.projects.Tracker,
          title: ` ${'t'.repeat(255)} `,
          due_date: null,
          assigned_to_id: null,
        });
      expectStatus(res, 201);
      expect(res.body.title).toHaveLength(255);
    });

    it.each([
      ['a missing title', { project: 'P' }, ['title']],
      ['a blank title', { project: 'P', title: ' \n\t ' }, ['title']],
      ['a title of 256 characters', { project: 'P', title: 'x'.repeat(256) }, ['title']],
      ['an unknown status', { project: 'P', title: 'x', status: 'closed' }, ['status']],
      ['an unknown priority', { project: 'P', title: 'x', priority: 'urgent' }, ['priority']],
      ['a due date in another format', { project: 'P', title: 'x', due_date: '28/02/2030' }, ['due_date']],
      [
        'a due date that is not a real day',
        { project: 'P', title: 'x', due_date: '2030-02-30' },
        ['due_date'],
      ],
      [
        'an assignee id that is not a UUID',
        { project: 'P', title: 'x', assigned_to_id: 'bob' },
        ['assigned_to_id'],
      ],
      ['a project that is not a UUID', { project: 'tracker', title: 'x' }, ['project']],
      [
        'several bad fields at once',
        { project: 'P', title: 5, status: 'x', priority: 'y' },
        ['title', 'status', 'priority'],
      ],
    ])('refuses %s with 400 naming the fields', async (_, body, fields) => {
      const sent = { ...body, ...(body.project === 'P' ? { project: acme.projects.Tracker } : {}) };
      expectProblem(await api.http.post('/api/v1/issues/').set(acme.owner.auth).send(sent), 400, fields);
    });

    it('refuses an assignee who is not a member of the organization with 400 naming assigned_to_id', async () => {
      const res = await api.http
        .post('/api/v1/issues/')
        .set(acme.owner.auth)
        .send({ project: acme.projects.Tracker, title: 'x', assigned_to_id: outsider.id });
      expectProblem(res, 400, ['assigned_to_id']);
    });

    it('answers 404 for a project that does not exist', async () => {
      const res = await api.http
        .post('/api/v1/issues/')
        .set(acme.owner.auth)
        .send({ project: '0190a5b8-0000-7000-8000-000000000000', title: 'x' });
      expectProblem(res, 404);
    });
  });

  describe('GET, PATCH and DELETE /issues/{id}/', () => {
    it('answers 404 for an issue that does not exist', async () => {
      expectProblem(await get('0190a5b8-0000-7000-8000-000000000000'), 404);
    });

    it('applies a PATCH as one event per changed field and answers the new issue and ETag', async () => {
      const issue = await createIssue(api, acme.member, acme.projects.Tracker, { title: 'Patch me' });
      const res = await api.http.patch(`/api/v1/issues/${issue.id}/`).set(acme.member.auth).send({
        title: 'Patched',
        description: 'Now described',
        status: 'in_progress',
        priority: 'high',
        due_date: '2031-01-01',
        assigned_to_id: acme.manager.id,
      });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({
        id: issue.id,
        title: 'Patched',
        description: 'Now described',
        status: 'in_progress',
        priority: 'high',
        due_date: '2031-01-01',
        assigned_to: { id: acme.manager.id, username: acme.manager.username },
        created_by: acme.member.id,
      });
      expect(res.headers.etag).toBe('"6"');
      expect(res.headers['x-position']).toMatch(POSITION);
      expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(res.body.created_at) - 1);
      const entries = await history(issue.id, acme.member);
      expect(entries.map((e) => e.type)).toEqual([
        'IssueCreated',
        'IssueTitleChanged',
        'IssueDescriptionChanged',
        'IssueStatusChanged',
        'IssuePriorityChanged',
        'IssueDueDateChanged',
        'IssueAssigned',
      ]);
      expect(entries.slice(1).map((e) => e.changes)).toEqual([
        { title: ['Patch me', 'Patched'] },
        { description: ['', 'Now described'] },
        { status: ['open', 'in_progress'] },
        { priority: ['medium', 'high'] },
        { due_date: [null, '2031-01-01'] },
        { assigned_to: [null, { id: acme.manager.id, username: acme.manager.username }] },
      ]);
    });

    it('appends nothing when nothing changed', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker, {
        title: 'Same',
        priority: 'low',
        assigned_to_id: acme.member.id,
      });
      const res = await api.http.patch(`/api/v1/issues/${issue.id}`).set(acme.owner.auth).send({
        title: ' Same ',
        priority: 'low',
        status: 'open',
        assigned_to_id: acme.member.id,
        due_date: null,
      });
      expectStatus(res, 200);
      expect(res.headers.etag).toBe('"0"');
      expect(res.headers['x-position']).toMatch(POSITION);
      const empty = await api.http.patch(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth).send({});
      expectStatus(empty, 200);
      expect(empty.headers.etag).toBe('"0"');
      expect(await history(issue.id)).toHaveLength(1);
    });

    it('unassigns with assigned_to_id: null and clears the due date with due_date: null', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker, {
        assigned_to_id: acme.member.id,
        due_date: '2030-05-05',
      });
      const res = await api.http
        .patch(`/api/v1/issues/${issue.id}/`)
        .set(acme.owner.auth)
        .send({ assigned_to_id: null, due_date: null });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ assigned_to: null, due_date: null });
      const entries = await history(issue.id);
      expect(entries.at(-2)).toMatchObject({
        type: 'IssueDueDateChanged',
        changes: { due_date: ['2030-05-05', null] },
      });
      expect(entries.at(-1)).toMatchObject({
        type: 'IssueUnassigned',
        changes: { assigned_to: [{ id: acme.member.id, username: acme.member.username }, null] },
      });
    });

    it('refuses a PATCH with bad fields (400 naming them) or a non-member assignee (400), changing nothing', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker);
      expectProblem(
        await api.http.patch(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth).send({ title: '' }),
        400,
        ['title'],
      );
      expectProblem(
        await api.http
          .patch(`/api/v1/issues/${issue.id}/`)
          .set(acme.owner.auth)
          .send({ status: 'nope', due_date: 'soon' }),
        400,
        ['status', 'due_date'],
      );
      expectProblem(
        await api.http
          .patch(`/api/v1/issues/${issue.id}/`)
          .set(acme.owner.auth)
          .send({ title: 'fine', assigned_to_id: outsider.id }),
        400,
        ['assigned_to_id'],
      );
      expectProblem(
        await api.http
          .patch(`/api/v1/issues/${issue.id}/`)
          .set(acme.owner.auth)
          .send({ description: 'd'.repeat(10_001) }),
        400,
        ['description'],
      );
      expect(await history(issue.id)).toHaveLength(1);
    });

    it('lets the creator delete their issue; it is then 404, and keeps its history', async () => {
      const issue = await createIssue(api, acme.member, acme.projects.Tracker, { title: 'Mine to delete' });
      const res = await api.http.delete(`/api/v1/issues/${issue.id}/`).set(acme.member.auth);
      expectStatus(res, 204);
      expect(res.text).toBe('');
      expect(res.headers['x-position']).toMatch(POSITION);
      expectProblem(await get(issue.id), 404);
      expectProblem(
        await api.http.patch(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth).send({ title: 'x' }),
        404,
      );
      expectProblem(await api.http.delete(`/api/v1/issues/${issue.id}`).set(acme.owner.auth), 404);
      const entries = await history(issue.id);
      expect(entries.map((e) => e.type)).toEqual(['IssueCreated', 'IssueDeleted']);
      const list = await api.http
        .get(`/api/v1/issues/?project=${acme.projects.Tracker}&limit=100`)
        .set(acme.owner.auth);
      expect(list.body.results.map((i: Issue) => i.id)).not.toContain(issue.id);
    });

    it("refuses a member deleting someone else's issue with 403; an owner and a manager may", async () => {
      const a = await createIssue(api, acme.owner, acme.projects.Tracker);
      const b = await createIssue(api, acme.member, acme.projects.Tracker);
      expectProblem(await api.http.delete(`/api/v1/issues/${a.id}/`).set(acme.member.auth), 403);
      expectStatus(await get(a.id), 200);
      expectStatus(await api.http.delete(`/api/v1/issues/${a.id}/`).set(acme.manager.auth), 204);
      expectStatus(await api.http.delete(`/api/v1/issues/${b.id}/`).set(acme.owner.auth), 204);
    });
  });

  describe('history and as_of', () => {
    it('lists the events in order with position, type, time, actor and changes, paged', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker, {
        title: 'History',
        assigned_to_id: acme.member.id,
      });
      await api.http
        .patch(`/api/v1/issues/${issue.id}/`)
        .set(acme.member.auth)
        .send({ status: 'in_progress' })
        .expect(200);
      await api.http
        .patch(`/api/v1/issues/${issue.id}/`)
        .set(acme.manager.auth)
        .send({ priority: 'critical' })
        .expect(200);
      const res = await api.http.get(`/api/v1/issues/${issue.id}/history`).set(acme.member.auth);
      expectStatus(res, 200);
      expect(res.body.next).toBeNull();
      expect(res.body.results).toEqual([
        {
          position: issue.position,
          type: 'IssueCreated',
          occurred_at: issue.body.created_at,
          actor: { id: acme.owner.id, username: acme.owner.username },
          changes: {
            key: [null, issue.body.key],
            title: [null, 'History'],
            description: [null, ''],
            status: [null, 'open'],
            priority: [null, 'medium'],
            due_date: [null, null],
            assigned_to: [null, { id: acme.member.id, username: acme.member.username }],
            labels: [null, []],
          },
        },
        {
          position: expect.stringMatching(POSITION),
          type: 'IssueStatusChanged',
          occurred_at: expect.any(String),
          actor: { id: acme.member.id, username: acme.member.username },
          changes: { status: ['open', 'in_progress'] },
        },
        {
          position: expect.stringMatching(POSITION),
          type: 'IssuePriorityChanged',
          occurred_at: expect.any(String),
          actor: { id: acme.manager.id, username: acme.manager.username },
          changes: { priority: ['medium', 'critical'] },
        },
      ]);
      const positions = res.body.results.map((e: { position: string }) => e.position);
      expect([...positions].sort()).toEqual(positions);
      const paged = await allPages(api, acme.member, `/api/v1/issues/${issue.id}/history/?limit=1`);
      expect(paged.pages).toBe(3);
      expect(paged.results).toEqual(res.body.results);
      expectProblem(
        await api.http.get(`/api/v1/issues/${issue.id}/history/?cursor=bogus`).set(acme.member.auth),
        400,
        ['cursor'],
      );
    });

    it('answers 404 for the history of an issue that does not exist', async () => {
      expectProblem(
        await api.http
          .get('/api/v1/issues/0190a5b8-0000-7000-8000-000000000000/history/')
          .set(acme.owner.auth),
        404,
      );
    });

    it('shows the issue as it was at a position or a time, with that revision as ETag', async () => {
      const created = await createIssue(api, acme.owner, acme.projects.Tracker, { title: 'v1' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const between = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const retitled = await api.http
        .patch(`/api/v1/issues/${created.id}/`)
        .set(acme.owner.auth)
        .send({ title: 'v2' });
      expectStatus(retitled, 200);
      const done = await api.http
        .patch(`/api/v1/issues/${created.id}/`)
        .set(acme.owner.auth)
        .send({ status: 'done' });
      expectStatus(done, 200);

      const asOf = (value: string) =>
        api.http
          .get(`/api/v1/issues/${created.id}/?as_of=${encodeURIComponent(value)}`)
          .set(acme.member.auth);
      const atCreation = await asOf(created.position);
      expectStatus(atCreation, 200);
      // `watching` is the caller's: the owner created it, the member reads it.
      expect(atCreation.body).toEqual({ ...created.body, watching: false });
      expect(atCreation.headers.etag).toBe('"0"');
      const atRetitle = await asOf(retitled.headers['x-position'] as string);
      expect(atRetitle.body).toMatchObject({ title: 'v2', status: 'open' });
      expect(atRetitle.headers.etag).toBe('"1"');
      const atBetween = await asOf(between);
      expect(atBetween.body).toMatchObject({ title: 'v1', status: 'open' });
      expect(atBetween.headers.etag).toBe('"0"');
      const now = await asOf(new Date(Date.now() + 1000).toISOString());
      expect(now.body).toEqual({ ...done.body, watching: false });
      expect(now.headers.etag).toBe('"2"');
      const byOffset = await asOf(between.replace('Z', '+00:00'));
      expect(byOffset.body.title).toBe('v1');
      const tomorrow = await asOf(new Date(Date.now() + 86_400_000).toISOString().slice(0, 10));
      expect(tomorrow.body.status).toBe('done');
      expectProblem(await asOf('2000-01-01T00:00:00Z'), 404);
      expectProblem(await asOf('2000-01-01'), 404);
    });

    it('shows a deleted issue as it was before its deletion', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker, { title: 'Gone later' });
      const deleted = await api.http.delete(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth);
      expectStatus(deleted, 204);
      const before = await api.http
        .get(`/api/v1/issues/${issue.id}/?as_of=${issue.position}`)
        .set(acme.owner.auth);
      expectStatus(before, 200);
      expect(before.body.title).toBe('Gone later');
      expectProblem(
        await api.http
          .get(`/api/v1/issues/${issue.id}/?as_of=${deleted.headers['x-position']}`)
          .set(acme.owner.auth),
        404,
      );
    });

    it.each(['yesterday', '2024-13-01', '2024-02-30T00:00:00Z', '2024-01-01T10:00:00', '123', 'ffff-ffff'])(
      'refuses as_of=%s with 400 naming as_of',
      async (value) => {
        const issue = await createIssue(api, acme.owner, acme.projects.Tracker);
        expectProblem(
          await api.http
            .get(`/api/v1/issues/${issue.id}/?as_of=${encodeURIComponent(value)}`)
            .set(acme.owner.auth),
          400,
          ['as_of'],
        );
      },
    );

    it('hides the past of an issue from a non-member (404)', async () => {
      const issue = await createIssue(api, acme.owner, acme.projects.Tracker);
      expectProblem(
        await api.http.get(`/api/v1/issues/${issue.id}/?as_of=${issue.position}`).set(outsider.auth),
        404,
      );
      expectProblem(await api.http.get(`/api/v1/issues/${issue.id}/history/`).set(outsider.auth), 404);
    });
  });

  describe('GET /issues/: filters, search, ordering and paging', () => {
    /** A lead who owns A (projects P1 and P2) and B (project P3); a dev who works in both. */
    const a = useFixture(() =>
      anOrganization(api, 'A').withMember('dev').withProject('P1').withProject('P2').build(),
    );
    const b = useFixture(() =>
      anOrganization(api, 'B').ownedBy(a.owner).withMember('dev', 'member', a.dev).withProject('P3').build(),
    );
    let issues: Issue[];

    const list = async (query: string, by: TestUser = a.owner): Promise<Issue[]> =>
      (await allPages<Issue>(api, by, `/api/v1/issues/?${query}`)).results;
    const idsOf = (items: Issue[]) => items.map((i) => i.id);
    const titled = (...titles: string[]) => issues.filter((i) => titles.includes(i.title)).map((i) => i.id);
    const setOf = (items: Issue[]) => new Set(idsOf(items));

    beforeAll(async () => {
      const specs: [string, string, Record<string, unknown>][] = [
        [
          a.projects.P1,
          'Login page crashes',
          {
            description: 'Users see a crash after submitting the form',
            priority: 'critical',
            due_date: '2030-01-10',
            assigned_to_id: a.dev.id,
          },
        ],
        [
          a.projects.P1,
          'Database migration slow',
          {
            description: 'The nightly migration takes hours',
            status: 'in_progress',
            priority: 'high',
            due_date: '2030-01-05',
            assigned_to_id: a.owner.id,
          },
        ],
        [a.projects.P1, 'Update documentation', { status: 'blocked', priority: 'low' }],
        [
          a.projects.P2,
          'Crash reporter uploads twice',
          {
            description: 'duplicate reports',
            status: 'done',
            due_date: '2030-01-10',
            assigned_to_id: a.dev.id,
          },
        ],
        [a.projects.P2, 'Dark mode', { description: 'A theme for the night owls', due_date: '2030-02-01' }],
        [
          b.projects.P3,
          'Billing export',
          { description: 'CSV export of invoices crashes', priority: 'high', assigned_to_id: a.dev.id },
        ],
        [
          b.projects.P3,
          'Onboarding emails',
          {
            description: 'welcome email sequence',
            status: 'in_progress',
            priority: 'low',
            due_date: '2029-12-31',
            assigned_to_id: a.owner.id,
          },
        ],
      ];
      for (const [projectId, title, fields] of specs)
        await createIssue(api, a.owner, projectId, { title, ...fields });
      // Touch some, so updated_at orders differently from created_at.
      for (const title of ['Update documentation', 'Login page crashes']) {
        const [found] = (await list(`search=${encodeURIComponent(title)}`)).filter((i) => i.title === title);
        await api.http
          .patch(`/api/v1/issues/${found!.id}/`)
          .set(a.dev.auth)
          .send({ description: `${found!.description} (seen)` })
          .expect(200);
      }
      issues = await list('limit=100');
      expect(issues).toHaveLength(7);
    });

    it('lists the issues of every organization of the caller, newest first by default', async () => {
      const res = await api.http.get('/api/v1/issues/').set(a.owner.auth);
      expectStatus(res, 200);
      expect(res.body.next).toBeNull();
      const created = [...issues].sort((a, b) =>
        a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1,
      );
      expect(idsOf(res.body.results)).toEqual(idsOf(created));
      expect(setOf(await list('', acme.member))).not.toContain(issues[0]!.id);
    });

    it.each([
      [
        'project=P1',
        () => `project=${a.projects.P1}`,
        () => titled('Login page crashes', 'Database migration slow', 'Update documentation'),
      ],
      ['organization=B', () => `organization=${b.id}`, () => titled('Billing export', 'Onboarding emails')],
      ['status=open', () => 'status=open', () => titled('Login page crashes', 'Dark mode', 'Billing export')],
      [
        'status=in_progress&status=blocked',
        () => 'status=in_progress&status=blocked',
        () => titled('Database migration slow', 'Update documentation', 'Onboarding emails'),
      ],
      ['priority=high', () => 'priority=high', () => titled('Database migration slow', 'Billing export')],
      [
        'assigned_to=<dev id>',
        () => `assigned_to=${a.dev.id}`,
        () => titled('Login page crashes', 'Crash reporter uploads twice', 'Billing export'),
      ],
      [
        'assigned_to=me',
        () => 'assigned_to=me',
        () => titled('Database migration slow', 'Onboarding emails'),
      ],
      ['assigned_to=none', () => 'assigned_to=none', () => titled('Update documentation', 'Dark mode')],
      [
        'due_before=2030-01-10',
        () => 'due_before=2030-01-10',
        () => titled('Database migration slow', 'Onboarding emails'),
      ],
      [
        'due_after=2030-01-05',
        () => 'due_after=2030-01-05',
        () => titled('Login page crashes', 'Crash reporter uploads twice', 'Dark mode'),
      ],
      [
        'due_date=2030-01-10',
        () => 'due_date=2030-01-10',
        () => titled('Login page crashes', 'Crash reporter uploads twice'),
      ],
      [
        'search=crash',
        () => 'search=crash',
        () => titled('Login page crashes', 'Crash reporter uploads twice', 'Billing export'),
      ],
      [
        'search=crash export (every term, in title or description)',
        () => `search=${encodeURIComponent('crash export')}`,
        () => titled('Billing export'),
      ],
      [
        'search=MIGRATION nightly (any order, any case)',
        () => `search=${encodeURIComponent('MIGRATION nightly')}`,
        () => titled('Database migration slow'),
      ],
      [
        'search=mail welc (parts of words)',
        () => `search=${encodeURIComponent('mail welc')}`,
        () => titled('Onboarding emails'),
      ],
      ['search=<blank>', () => 'search=%20', () => idsOf(issues)],
      [
        'project=P1&status=open&search=crash',
        () => `project=${a.projects.P1}&status=open&search=crash`,
        () => titled('Login page crashes'),
      ],
      [
        'organization=A&assigned_to=<dev id>&due_after=2030-01-01&priority=medium',
        () => `organization=${a.id}&assigned_to=${a.dev.id}&due_after=2030-01-01&priority=medium`,
        () => titled('Crash reporter uploads twice'),
      ],
    ])('filters by %s', async (_, query, expected) => {
      expect([...setOf(await list(query()))].sort()).toEqual(expected().sort());
    });

    it('finds nothing for another organization or a project the caller cannot see', async () => {
      expect(await list(`organization=${acme.id}`)).toEqual([]);
      expect(await list(`project=${acme.projects.Tracker}`)).toEqual([]);
      expect(await list('project=0190a5b8-0000-7000-8000-000000000000')).toEqual([]);
      expect(await list(`organization=0190a5b8-0000-7000-8000-000000000000`)).toEqual([]);
      // Both visible, but the project is not in that organization.
      expect(await list(`project=${a.projects.P1}&organization=${b.id}`)).toEqual([]);
      expect([...setOf(await list(`project=${a.projects.P1}&organization=${a.id}`))].sort()).toEqual(
        titled('Login page crashes', 'Database migration slow', 'Update documentation').sort(),
      );
    });

    const rank: Record<string, number> = { low: 0, medium: 1, high: 2, critical: 3 };
    const workflow: Record<string, number> = { open: 0, in_progress: 1, blocked: 2, done: 3 };
    const keyOf: Record<string, (i: Issue) => number | string> = {
      created_at: (i) => Date.parse(i.created_at),
      updated_at: (i) => Date.parse(i.updated_at),
      due_date: (i) => (i.due_date === null ? Number.POSITIVE_INFINITY : Date.parse(i.due_date)),
      priority: (i) => rank[i.priority]!,
      status: (i) => workflow[i.status]!,
      title: (i) => i.title.toLowerCase(),
    };

    const orderings = ['created_at', 'updated_at', 'due_date', 'priority', 'status', 'title'].flatMap(
      (field) => [field, `-${field}`],
    );
    it.each(orderings)(
      'orders by %s (ties by created_at, then id, in the same direction) across pages of 2',
      async (ordering) => {
        const key = keyOf[ordering.replace('-', '')]!;
        const direction = ordering.startsWith('-') ? -1 : 1;
        const order = <T>(a: T, b: T) => (a === b ? 0 : a < b ? -1 : 1);
        const expected = [...issues].sort(
          (a, b) =>
            direction *
            (order(key(a), key(b)) ||
              order(Date.parse(a.created_at), Date.parse(b.created_at)) ||
              order(a.id, b.id)),
        );
        const { results, pages } = await allPages<Issue>(
          api,
          a.owner,
          `/api/v1/issues/?ordering=${ordering}&limit=2`,
        );
        expect(pages).toBe(4);
        expect(idsOf(results)).toEqual(idsOf(expected));
      },
    );

    it('pages filtered and ordered lists with cursors whose next URL keeps the filters', async () => {
      const first = await api.http
        .get(`/api/v1/issues?status=open&status=in_progress&ordering=priority&limit=1`)
        .set(a.owner.auth);
      expectStatus(first, 200);
      const next = new URL(first.body.next);
      expect(next.searchParams.getAll('status')).toEqual(['open', 'in_progress']);
      expect(next.searchParams.get('ordering')).toBe('priority');
      const all = await list('status=open&status=in_progress&ordering=priority&limit=1');
      expect(all.map((i) => i.priority)).toEqual(['low', 'medium', 'high', 'high', 'critical']);
    });

    it('keeps paging stable when issues are created between pages', async () => {
      const first = await api.http.get(`/api/v1/issues/?project=${a.projects.P2}&limit=1`).set(a.owner.auth);
      await createIssue(api, a.owner, a.projects.P2, { title: 'Newest, after the first page' });
      const second = await api.http
        .get(new URL(first.body.next).pathname + new URL(first.body.next).search)
        .set(a.owner.auth);
      expectStatus(second, 200);
      expect([...idsOf(first.body.results), ...idsOf(second.body.results)]).toEqual(
        titled('Crash reporter uploads twice', 'Dark mode'),
      );
      expect(second.body.next).toBeNull();
    });

    it.each([
      ['status=closed', 'status'],
      ['status=open&status=later', 'status'],
      ['priority=urgent', 'priority'],
      ['assigned_to=bob', 'assigned_to'],
      ['due_before=2030-13-01', 'due_before'],
      ['due_after=tomorrow', 'due_after'],
      ['due_date=2030-02-30', 'due_date'],
      ['project=p1', 'project'],
      ['organization=a', 'organization'],
      ['ordering=name', 'ordering'],
      ['search=%00', 'search'],
      [`search=${'w'.repeat(501)}`, 'search'],
      ['cursor=not-a-cursor', 'cursor'],
    ])('refuses %s with 400 naming %s', async (query, field) => {
      expectProblem(await api.http.get(`/api/v1/issues/?${query}`).set(a.owner.auth), 400, [field]);
    });

    it('refuses a cursor made for another ordering with 400 naming cursor', async () => {
      const page = await api.http.get('/api/v1/issues/?limit=1&ordering=priority').set(a.owner.auth);
      const cursor = new URL(page.body.next).searchParams.get('cursor');
      expectProblem(
        await api.http.get(`/api/v1/issues/?limit=1&ordering=due_date&cursor=${cursor}`).set(a.owner.auth),
        400,
        ['cursor'],
      );
    });
  });
});

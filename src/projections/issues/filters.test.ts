import { ValidationError } from '../../domain';
import type { IssuePriority, IssueStatus } from '../../domain';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { useFixture } from '../../../test/support/suite';
import { SEARCH_TERMS_MAX } from './filters';
import { type IssueListRequest, listIssues } from './list';

interface Made {
  id: string;
  organization: string;
  project: string;
  title: string;
  status: IssueStatus;
  priority: IssuePriority;
  dueDate: string | null;
  assignee: string | null;
}

describe('GET /issues/ filters and search', () => {
  const bed = useReadModelTestbed('tt_rm_filters');
  const made: Made[] = [];

  const ids = async (request: IssueListRequest) =>
    (await listIssues(bed.knex, given.me, { limit: 100, ...request })).results.map((i) => i.id);
  /** Newest first, as the default ordering. */
  const expected = (keep: (m: Made) => boolean) =>
    made
      .filter(keep)
      .map((m) => m.id)
      .reverse();

  const given = useFixture(async () => {
    const w = bed.world;
    const { me, max, stranger } = await w.registerAll('me', 'max', 'stranger');
    const acme = await w.createOrganization(me, 'Acme');
    const globex = await w.createOrganization(max, 'Globex');
    const initech = await w.createOrganization(stranger, 'Initech');
    await w.addMember(me, acme, max);
    await w.addMember(max, globex, me);
    const apollo = await w.createProject(me, acme, 'Apollo');
    const gemini = await w.createProject(me, acme, 'Gemini');
    const zeus = await w.createProject(max, globex, 'Zeus');
    const foreign = await w.createProject(stranger, initech, 'Hidden');
    const specs: [
      string,
      string,
      string,
      IssueStatus,
      IssuePriority,
      string | null,
      'me' | 'max' | null,
      string?,
    ][] = [
      [
        acme,
        apollo,
        'Rocket engine overheats',
        'open',
        'high',
        '2025-02-01',
        'me',
        'the turbopump bearing fails',
      ],
      [acme, apollo, 'Paint the tower', 'done', 'low', null, null],
      [
        acme,
        gemini,
        'Hatch seal leaks',
        'blocked',
        'critical',
        '2025-03-15',
        'max',
        'rubber gasket degrades in vacuum',
      ],
      [acme, gemini, 'Update checklists', 'in_progress', 'medium', '2025-02-01', 'me'],
      [globex, zeus, 'Engines need inspection', 'open', 'medium', '2025-04-30', null, 'all five engines'],
      [globex, zeus, 'Order fuel', 'blocked', 'high', null, 'max'],
      [globex, zeus, 'Paperwork', 'open', 'low', '2025-01-10', 'me'],
      // For search: stop words as whole titles, parts of words, accents, and LIKE's special characters.
      [acme, apollo, 'Once', 'open', 'medium', null, null],
      [acme, apollo, 'the', 'done', 'low', null, null],
      [acme, gemini, 'what', 'open', 'medium', null, null],
      [acme, gemini, 'Fix the login', 'in_progress', 'high', null, null, 'sessions expire early'],
      [globex, zeus, 'Token refresh', 'open', 'medium', null, null, 'authentication fails after an hour'],
      [acme, apollo, 'Café opening hours', 'open', 'low', null, null],
      [acme, gemini, 'Fix the cafe sign', 'open', 'high', null, null],
      [globex, zeus, '100% CPU', 'open', 'critical', null, null, 'on every node'],
      [globex, zeus, '1000 users', 'open', 'medium', null, null],
      [acme, apollo, 'Rename a_b', 'open', 'low', null, null],
      [acme, apollo, 'axb', 'open', 'low', null, null],
      [acme, gemini, 'Files under C:\\Temp', 'open', 'medium', null, null],
      [acme, gemini, 'C:Temp is full', 'open', 'medium', null, null],
    ];
    for (const [organization, project, title, status, priority, dueDate, who, description] of specs) {
      const assignee = who === 'me' ? me : who === 'max' ? max : null;
      const id = await w.createIssue(me, project, {
        title,
        description,
        status,
        priority,
        dueDate,
        assigneeId: assignee,
      });
      made.push({ id, organization, project, title, status, priority, dueDate, assignee });
    }
    await w.createIssue(stranger, foreign, { title: 'Rocket secret', status: 'open' });
    await bed.catchUp();
    return { me, max, acme, globex, apollo, gemini, zeus, foreign };
  });

  it('lists only issues of the caller organizations, newest first by default', async () => {
    expect(await ids({})).toEqual(expected(() => true));
  });

  it('filters by organization and by project, and shows nothing of organizations the caller is not in', async () => {
    expect(await ids({ organization: given.globex })).toEqual(
      expected((m) => m.organization === given.globex),
    );
    expect(await ids({ project: given.gemini })).toEqual(expected((m) => m.project === given.gemini));
    expect(await ids({ project: given.gemini, organization: given.globex })).toEqual([]);
    expect(await ids({ project: given.foreign })).toEqual([]);
  });

  it('filters by one status or several', async () => {
    expect(await ids({ status: 'blocked' })).toEqual(expected((m) => m.status === 'blocked'));
    expect(await ids({ status: ['open', 'done'] })).toEqual(
      expected((m) => m.status === 'open' || m.status === 'done'),
    );
    expect(await ids({ project: given.apollo, status: 'done' })).toEqual(
      expected((m) => m.project === given.apollo && m.status === 'done'),
    );
  });

  it('filters by priority', async () => {
    expect(await ids({ priority: 'high' })).toEqual(expected((m) => m.priority === 'high'));
  });

  it('filters by assignee: a user id, me, or none', async () => {
    expect(await ids({ assignedTo: given.max })).toEqual(expected((m) => m.assignee === given.max));
    expect(await ids({ assignedTo: 'me' })).toEqual(expected((m) => m.assignee === given.me));
    expect(await ids({ assignedTo: 'none' })).toEqual(expected((m) => m.assignee === null));
  });

  it('filters by due date: before, after (both strict), on, and a range', async () => {
    expect(await ids({ dueBefore: '2025-02-01' })).toEqual(
      expected((m) => m.dueDate !== null && m.dueDate < '2025-02-01'),
    );
    expect(await ids({ dueAfter: '2025-02-01' })).toEqual(
      expected((m) => m.dueDate !== null && m.dueDate > '2025-02-01'),
    );
    expect(await ids({ dueDate: '2025-02-01' })).toEqual(expected((m) => m.dueDate === '2025-02-01'));
    expect(await ids({ dueAfter: '2025-01-31', dueBefore: '2025-04-01' })).toEqual(
      expected((m) => m.dueDate !== null && m.dueDate > '2025-01-31' && m.dueDate < '2025-04-01'),
    );
  });

  it('combines filters', async () => {
    expect(
      await ids({
        organization: given.acme,
        assignedTo: 'me',
        status: ['open', 'in_progress'],
        dueDate: '2025-02-01',
      }),
    ).toEqual(
      expected((m) => m.organization === given.acme && m.assignee === given.me && m.dueDate === '2025-02-01'),
    );
  });

  describe('search', () => {
    /** Newest first, as the default ordering. */
    const titled = (...titles: string[]) => expected((m) => titles.includes(m.title));

    it('finds a title made of stop words', async () => {
      expect(await ids({ search: 'once' })).toEqual(titled('Once'));
      expect(await ids({ search: 'what' })).toEqual(titled('what'));
      expect(await ids({ search: 'the' })).toEqual(
        titled(
          'Rocket engine overheats',
          'Paint the tower',
          'the',
          'Fix the login',
          'Token refresh',
          'Fix the cafe sign',
        ),
      );
    });

    it('finds part of a word', async () => {
      expect(await ids({ search: 'log' })).toEqual(titled('Fix the login'));
      expect(await ids({ search: 'auth' })).toEqual(titled('Token refresh'));
      expect(await ids({ search: 'engine' })).toEqual(
        titled('Rocket engine overheats', 'Engines need inspection'),
      );
    });

    it('wants every term, in any order, each anywhere in the title or the description', async () => {
      expect(await ids({ search: 'rocket bearing' })).toEqual(titled('Rocket engine overheats'));
      expect(await ids({ search: 'bearing rocket' })).toEqual(titled('Rocket engine overheats'));
      expect(await ids({ search: '  vacuum\tgasket\n hatch ' })).toEqual(titled('Hatch seal leaks'));
      expect(await ids({ search: 'five engine' })).toEqual(titled('Engines need inspection'));
      expect(await ids({ search: 'rocket five' })).toEqual([]);
    });

    it('does not let a term span the title and the description', async () => {
      expect(await ids({ search: 'overheats the' })).toEqual(titled('Rocket engine overheats'));
      expect(await ids({ search: 'overheatsthe' })).toEqual([]);
    });

    it('ignores case and accents, both ways', async () => {
      expect(await ids({ search: 'ROCKET' })).toEqual(titled('Rocket engine overheats'));
      expect(await ids({ search: 'LogIN' })).toEqual(titled('Fix the login'));
      for (const search of ['cafe', 'café', 'CAFÉ', 'Cafe', 'FÉ'])
        expect(await ids({ search })).toEqual(titled('Café opening hours', 'Fix the cafe sign'));
    });

    it('matches %, _ and \\ literally', async () => {
      expect(await ids({ search: '100%' })).toEqual(titled('100% CPU'));
      expect(await ids({ search: '%' })).toEqual(titled('100% CPU'));
      expect(await ids({ search: '100' })).toEqual(titled('100% CPU', '1000 users'));
      // The full-width percent sign folds to `%`, which must still be a plain character.
      expect(await ids({ search: '100\uff05' })).toEqual(titled('100% CPU'));
      expect(await ids({ search: 'a_b' })).toEqual(titled('Rename a_b'));
      expect(await ids({ search: '_' })).toEqual(titled('Rename a_b'));
      expect(await ids({ search: 'c:\\temp' })).toEqual(titled('Files under C:\\Temp'));
      expect(await ids({ search: '\\' })).toEqual(titled('Files under C:\\Temp'));
    });

    it('keeps the ordering asked for', async () => {
      expect(await ids({ search: 'cafe', ordering: 'priority' })).toEqual(
        titled('Fix the cafe sign', 'Café opening hours').reverse(),
      );
      expect(await ids({ search: 'cafe', ordering: '-priority' })).toEqual(
        titled('Fix the cafe sign', 'Café opening hours'),
      );
    });

    it(`finds nothing for an absent term, everything for a blank search, and takes ${SEARCH_TERMS_MAX} terms`, async () => {
      expect(await ids({ search: 'nothing-like-this' })).toEqual([]);
      expect(await ids({ search: '   ' })).toEqual(expected(() => true));
      expect(await ids({ search: Array(SEARCH_TERMS_MAX).fill('rocket').join(' ') })).toEqual(
        titled('Rocket engine overheats'),
      );
    });
  });

  it('orders by every documented ordering, ties broken by created_at in the same direction', async () => {
    const rank = { low: 0, medium: 1, high: 2, critical: 3 };
    const workflow = { open: 0, in_progress: 1, blocked: 2, done: 3 };
    // `made` is in creation order, each one created after the one before.
    const byCreation = (a: Made, b: Made) => made.indexOf(a) - made.indexOf(b);
    const due = (m: Made) => m.dueDate ?? '9999-99-99';
    const asc = (f: (m: Made) => string | number) =>
      [...made].sort((a, b) => (f(a) < f(b) ? -1 : f(a) > f(b) ? 1 : byCreation(a, b)));
    const both = async (ordering: string, f: (m: Made) => string | number) => {
      expect(await ids({ ordering })).toEqual(asc(f).map((m) => m.id));
      expect(await ids({ ordering: `-${ordering}` })).toEqual(
        asc(f)
          .map((m) => m.id)
          .reverse(),
      );
    };
    await both('status', (m) => workflow[m.status]);
    await both('title', (m) => m.title.toLowerCase());
    expect(await ids({ ordering: 'created_at' })).toEqual(made.map((m) => m.id));
    expect(await ids({ ordering: 'updated_at' })).toEqual(made.map((m) => m.id));
    expect(await ids({ ordering: '-updated_at' })).toEqual(expected(() => true));
    expect(await ids({ ordering: 'due_date' })).toEqual(asc(due).map((m) => m.id));
    expect(await ids({ ordering: '-due_date' })).toEqual(
      asc(due)
        .map((m) => m.id)
        .reverse(),
    );
    expect(await ids({ ordering: 'priority' })).toEqual(asc((m) => rank[m.priority]).map((m) => m.id));
    expect(await ids({ ordering: '-priority' })).toEqual(
      asc((m) => rank[m.priority])
        .map((m) => m.id)
        .reverse(),
    );
  });

  it.each<[string, IssueListRequest]>([
    ['status', { status: 'closed' }],
    ['priority', { priority: 'urgent' }],
    ['assigned_to', { assignedTo: 'someone' }],
    ['due_before', { dueBefore: '2025-02-30' }],
    ['due_after', { dueAfter: 'tomorrow' }],
    ['due_date', { dueDate: '2025-1-1' }],
    ['ordering', { ordering: 'name' }],
    ['project', { project: 'not-an-id' }],
    ['organization', { organization: "'; drop table issues" }],
    ['search', { search: 'nul\u0000byte' }],
    ['search', { search: 'w'.repeat(501) }],
    [
      'search',
      {
        search: Array(SEARCH_TERMS_MAX + 1)
          .fill('w')
          .join(' '),
      },
    ],
    ['limit', { limit: 101 }],
    ['cursor', { cursor: 'WyJjcmVhdGVkX2F0Il0' }],
  ])('refuses a bad %s with a validation error naming it', async (path, request) => {
    const error = await listIssues(bed.knex, given.me, request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.path).toBe(path);
  });
});

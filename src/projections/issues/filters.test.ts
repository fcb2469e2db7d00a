import { ValidationError } from '../../domain';
import type { IssuePriority, IssueStatus } from '../../domain';
import { readModelTestbed, type ReadModelTestbed } from '../testing/setup';
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

describe('GET /issues/ filters and full-text search', () => {
  let bed: ReadModelTestbed;
  let me: string;
  let max: string;
  let acme: string;
  let globex: string;
  let apollo: string;
  let gemini: string;
  let zeus: string;
  let foreign: string;
  const made: Made[] = [];

  const ids = async (request: IssueListRequest) =>
    (await listIssues(bed.knex, me, { limit: 100, ...request })).results.map((i) => i.id);
  /** Newest first, as the default ordering. */
  const expected = (keep: (m: Made) => boolean) =>
    made
      .filter(keep)
      .map((m) => m.id)
      .reverse();

  beforeAll(async () => {
    bed = await readModelTestbed('tt_rm_filters');
    const w = bed.world;
    me = await w.register('me');
    max = await w.register('max');
    const stranger = await w.register('stranger');
    acme = await w.createOrganization(me, 'Acme');
    globex = await w.createOrganization(max, 'Globex');
    const initech = await w.createOrganization(stranger, 'Initech');
    await w.addMember(me, acme, max);
    await w.addMember(max, globex, me);
    apollo = await w.createProject(me, acme, 'Apollo');
    gemini = await w.createProject(me, acme, 'Gemini');
    zeus = await w.createProject(max, globex, 'Zeus');
    foreign = await w.createProject(stranger, initech, 'Hidden');
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
  });

  afterAll(() => bed.close());

  it('lists only issues of the caller organizations, newest first by default', async () => {
    expect(await ids({})).toEqual(expected(() => true));
  });

  it('filters by organization and by project, and shows nothing of organizations the caller is not in', async () => {
    expect(await ids({ organization: globex })).toEqual(expected((m) => m.organization === globex));
    expect(await ids({ project: gemini })).toEqual(expected((m) => m.project === gemini));
    expect(await ids({ project: gemini, organization: globex })).toEqual([]);
    expect(await ids({ project: foreign })).toEqual([]);
  });

  it('filters by one status or several', async () => {
    expect(await ids({ status: 'blocked' })).toEqual(expected((m) => m.status === 'blocked'));
    expect(await ids({ status: ['open', 'done'] })).toEqual(
      expected((m) => m.status === 'open' || m.status === 'done'),
    );
    expect(await ids({ project: apollo, status: 'done' })).toEqual(
      expected((m) => m.project === apollo && m.status === 'done'),
    );
  });

  it('filters by priority', async () => {
    expect(await ids({ priority: 'high' })).toEqual(expected((m) => m.priority === 'high'));
  });

  it('filters by assignee: a user id, me, or none', async () => {
    expect(await ids({ assignedTo: max })).toEqual(expected((m) => m.assignee === max));
    expect(await ids({ assignedTo: 'me' })).toEqual(expected((m) => m.assignee === me));
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
        organization: acme,
        assignedTo: 'me',
        status: ['open', 'in_progress'],
        dueDate: '2025-02-01',
      }),
    ).toEqual(expected((m) => m.organization === acme && m.assignee === me && m.dueDate === '2025-02-01'));
  });

  it('finds issues by words of the title or the description, stemmed, in web search syntax', async () => {
    const titled = (...titles: string[]) =>
      made
        .filter((m) => titles.includes(m.title))
        .map((m) => m.id)
        .reverse();
    expect(await ids({ search: 'engine' })).toEqual(
      titled('Rocket engine overheats', 'Engines need inspection'),
    );
    expect(await ids({ search: 'bearing' })).toEqual(titled('Rocket engine overheats'));
    expect(await ids({ search: 'gasket vacuum' })).toEqual(titled('Hatch seal leaks'));
    expect(await ids({ search: '"turbopump bearing"' })).toEqual(titled('Rocket engine overheats'));
    expect(await ids({ search: 'engine -rocket' })).toEqual(titled('Engines need inspection'));
    expect(await ids({ search: 'rocket' })).toEqual(titled('Rocket engine overheats'));
    expect(await ids({ search: 'nothing-like-this' })).toEqual([]);
    expect(await ids({ search: '   ' })).toEqual(expected(() => true));
  });

  it('orders by every documented ordering, ties broken by id in the same direction', async () => {
    const rank = { low: 0, medium: 1, high: 2, critical: 3 };
    const byId = (a: Made, b: Made) => (a.id < b.id ? -1 : 1);
    const due = (m: Made) => m.dueDate ?? '9999-99-99';
    const asc = (f: (m: Made) => string | number) =>
      [...made].sort((a, b) => (f(a) < f(b) ? -1 : f(a) > f(b) ? 1 : byId(a, b)));
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
    ['ordering', { ordering: 'title' }],
    ['project', { project: 'not-an-id' }],
    ['organization', { organization: "'; drop table issues" }],
    ['search', { search: 'nul\u0000byte' }],
    ['limit', { limit: 101 }],
    ['cursor', { cursor: 'WyJjcmVhdGVkX2F0Il0' }],
  ])('refuses a bad %s with a validation error naming it', async (path, request) => {
    const error = await listIssues(bed.knex, me, request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.path).toBe(path);
  });
});

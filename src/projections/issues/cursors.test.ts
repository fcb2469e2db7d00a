import fc from 'fast-check';
import type { IssuePriority, IssueStatus } from '../../domain';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { listIssues } from './list';
import { ISSUE_ORDERINGS, type IssueOrdering } from './ordering';
import type { IssueView } from './view';

const BASE = Date.parse('2025-06-01T00:00:00.000Z');
const RANK: Record<IssuePriority, number> = { low: 0, medium: 1, high: 2, critical: 3 };
const STATUS_RANK: Record<IssueStatus, number> = { open: 0, in_progress: 1, blocked: 2, done: 3 };

/** Few distinct values, so ties (broken by created_at, then id) and missing due dates are common. */
const issueSpec = fc.record({
  minute: fc.integer({ min: 0, max: 4 }),
  priority: fc.constantFrom<IssuePriority>('low', 'medium', 'high', 'critical'),
  status: fc.constantFrom<IssueStatus>('open', 'in_progress', 'blocked', 'done'),
  dueDate: fc.option(fc.constantFrom('2025-07-01', '2025-07-02', '2025-08-15'), { nil: null }),
  title: fc.constantFrom('Alpha', 'alpha', 'Beta', 'gamma'),
});
type Spec = typeof issueSpec extends fc.Arbitrary<infer T> ? T : never;

const sortKey = (ordering: IssueOrdering, issue: IssueView): string | number => {
  switch (ordering.replace(/^-/, '')) {
    case 'created_at':
      return issue.created_at;
    case 'updated_at':
      return issue.updated_at;
    case 'due_date':
      return issue.due_date ?? '\uffff';
    case 'status':
      return STATUS_RANK[issue.status];
    case 'title':
      return issue.title.toLowerCase();
    default:
      return RANK[issue.priority];
  }
};

const order = <T>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * -1, 0 or 1 as `a` comes before, with, or after `b` in the ordering; ties broken by created_at, then by id, the
 * same way (API.md).
 */
const compare = (ordering: IssueOrdering, a: IssueView, b: IssueView): number => {
  const raw =
    order(sortKey(ordering, a), sortKey(ordering, b)) ||
    order(a.created_at, b.created_at) ||
    order(a.id, b.id);
  return ordering.startsWith('-') ? -raw : raw;
};

describe('keyset cursors of GET /issues/', () => {
  const bed = useReadModelTestbed('tt_rm_cursors');
  let viewer: string;

  beforeAll(async () => {
    viewer = await bed.world.register('viewer');
  });

  const create = async (project: string, spec: Spec) => {
    // Clocks of different writers disagree: new issues may carry any time, before or after the cursor's.
    bed.world.clock = BASE + spec.minute * 60_000;
    return bed.world.createIssue(viewer, project, {
      title: spec.title,
      priority: spec.priority,
      status: spec.status,
      dueDate: spec.dueDate,
    });
  };

  it.each(ISSUE_ORDERINGS)(
    'never skips or repeats a row while rows are inserted between pages (%s)',
    async (ordering) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(issueSpec, { minLength: 1, maxLength: 20 }),
          fc.array(fc.array(issueSpec, { maxLength: 3 }), { maxLength: 8 }),
          fc.integer({ min: 1, max: 6 }),
          async (initial, insertions, limit) => {
            const organization = await bed.world.createOrganization(viewer, 'Org');
            const project = await bed.world.createProject(viewer, organization, 'P');
            const existing = new Set<string>();
            for (const spec of initial) existing.add(await create(project, spec));
            await bed.catchUp();

            const seen: IssueView[] = [];
            let cursor: string | null = null;
            let pages = 0;
            do {
              const page = await listIssues(bed.knex, viewer, { organization, ordering, limit, cursor });
              seen.push(...page.results);
              cursor = page.nextCursor;
              for (const spec of insertions[pages] ?? []) await create(project, spec);
              await bed.catchUp();
              pages += 1;
            } while (cursor !== null);

            const ids = seen.map((i) => i.id);
            expect(new Set(ids).size).toBe(ids.length); // no row repeated
            for (const id of existing) expect(ids).toContain(id); // no row that was there skipped
            for (let i = 1; i < seen.length; i++) expect(compare(ordering, seen[i - 1]!, seen[i]!)).toBe(-1);
          },
        ),
        { numRuns: 12 },
      );
    },
    120_000,
  );

  it('keeps each ordering on its own cursors', async () => {
    const organization = await bed.world.createOrganization(viewer, 'Org');
    const project = await bed.world.createProject(viewer, organization, 'P');
    await create(project, { minute: 1, priority: 'low', status: 'open', dueDate: null, title: 'Alpha' });
    await create(project, { minute: 2, priority: 'low', status: 'open', dueDate: null, title: 'Beta' });
    await bed.catchUp();
    const page = await listIssues(bed.knex, viewer, { organization, ordering: 'priority', limit: 1 });
    expect(page.nextCursor).not.toBeNull();
    await expect(
      listIssues(bed.knex, viewer, { organization, ordering: 'due_date', cursor: page.nextCursor }),
    ).rejects.toThrow(/cursor/);
  });
});

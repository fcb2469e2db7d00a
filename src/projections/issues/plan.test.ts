import { randomUUID } from 'node:crypto';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { issueListQuery, listIssues } from './list';
import { explain } from '../shared/explain';

describe('issue list query plans', () => {
  const bed = useReadModelTestbed('tt_rm_plan');
  let viewer: string;
  const organizations = [randomUUID(), randomUUID(), randomUUID()];
  const projects = organizations.map(() => randomUUID());

  beforeAll(async () => {
    viewer = randomUUID();
    // Rows written directly: the plan depends on the table's shape and size, not on how the rows came.
    await bed.knex.raw(
      `INSERT INTO memberships (organization_id, user_id, role, joined_at)
       SELECT unnest(?::uuid[]), ?::uuid, 'member', now()`,
      [`{${organizations.join(',')}}`, viewer],
    );
    await bed.knex.raw(
      `INSERT INTO projects (id, organization_id, name, description, created_at, updated_at, archived, revision)
       SELECT p, o, 'P', '', now(), now(), false, 0 FROM unnest(?::uuid[], ?::uuid[]) AS t(p, o)`,
      [`{${projects.join(',')}}`, `{${organizations.join(',')}}`],
    );
    await bed.knex.raw(
      `INSERT INTO issues (id, project_id, organization_id, title, description, status, priority, due_date,
         assignee_id, created_by, created_at, updated_at, revision)
       SELECT gen_random_uuid(), (?::uuid[])[1 + n % 3], (?::uuid[])[1 + n % 3], 'Issue ' || n, 'words ' || n,
         (ARRAY['open','in_progress','blocked','done'])[1 + n % 4], (ARRAY['low','medium','high','critical'])[1 + n % 4],
         CASE WHEN n % 5 = 0 THEN NULL ELSE date '2025-01-01' + (n % 400) END, NULL, ?::uuid,
         timestamptz '2025-01-01' + n * interval '1 minute', timestamptz '2025-01-01' + n * interval '1 minute', 0
       FROM generate_series(1, 30000) AS n`,
      [`{${projects.join(',')}}`, `{${organizations.join(',')}}`, viewer],
    );
    await bed.knex.raw('ANALYZE issues; ANALYZE memberships; ANALYZE projects');
  });

  const plan = async (request: Parameters<typeof listIssues>[2]) => {
    const built = await issueListQuery(bed.knex, viewer, request);
    if (built === null) throw new Error('nothing in scope');
    return explain(bed.knex, built.query, { seqscan: false });
  };

  it('filters by one organization newest first with an index scan and no sort', async () => {
    const text = await plan({ organization: organizations[0], limit: 50 });
    expect(text).toMatch(/Index Scan.* using issues_org_created/);
    expect(text).not.toMatch(/Sort/);
  });

  it('merges the caller organizations with Merge Append of index scans, never a sort', async () => {
    const text = await plan({ limit: 50 });
    expect(text).toMatch(/Merge Append/);
    expect(text.match(/Index Scan.* using issues_org_created/g)).toHaveLength(3);
    expect(text).not.toMatch(/Sort\s{2}/);
  });

  it.each([
    ['due_date'],
    ['-due_date'],
    ['priority'],
    ['-priority'],
    ['updated_at'],
    ['created_at'],
    ['status'],
    ['-status'],
    ['title'],
    ['-title'],
  ])('orders by %s from an index', async (ordering) => {
    for (const scope of [{ organization: organizations[1] }, { project: projects[1] }]) {
      const text = await plan({ ...scope, ordering, limit: 50 });
      expect(text).toMatch(/Index Scan/);
      expect(text).not.toMatch(/Sort/);
    }
  });

  it.each([
    ['status', { status: 'blocked' }],
    ['several statuses', { status: ['open', 'blocked'] }],
    ['priority', { priority: 'high' }],
    ['several priorities', { priority: ['high', 'critical'] }],
    ['updated after a time', { updatedAfter: '2025-01-10T00:00:00Z' }],
    ['no assignee', { assignedTo: 'none' }],
    ['assigned to me', { assignedTo: 'me' }],
    ['due range', { dueAfter: '2025-02-01', dueBefore: '2025-06-01' }],
  ])(
    'filters by %s within the caller organizations without a sort',
    async (_name, filters: Parameters<typeof listIssues>[2]) => {
      const text = await plan({ ...filters, limit: 50 });
      expect(text).not.toMatch(/Sort\s{2}/);
    },
  );

  it('finds a rare search term through the trigram index', async () => {
    // `Issue 12345` / `words 12345` is the one row of 30 000 with this term.
    const text = await plan({ search: '12345', limit: 50 });
    expect(text).toMatch(/Bitmap Index Scan on issues_search_trgm/);
    expect(text).toMatch(/Index Cond: \(search_text ~~ '%12345%'::text\)/);
  });

  it.each([
    ['-created_at', 'issues_org_created'],
    ['-priority', 'issues_org_priority'],
  ])('keeps the %s index scan, without a sort, for search terms in every row', async (ordering, index) => {
    const text = await plan({ search: 'ISSUE words', ordering, limit: 50 });
    expect(text).toMatch(new RegExp(`Index Scan.* using ${index}`));
    expect(text).toMatch(/Filter: .*search_text ~~ '%issue%'.*search_text ~~ '%words%'/);
    expect(text).not.toMatch(/issues_search_trgm/);
    expect(text).not.toMatch(/Sort\s{2}/);
  });

  it.each([['zq'], ['%'], ['a.b'], ['12']])(
    'never reads the trigram index for a term without three letters or digits in a row (%s)',
    async (search) => {
      const text = await plan({ search, limit: 50 });
      expect(text).toMatch(/Filter: .*\(search_text\)::text ~~ '%/);
      expect(text).not.toMatch(/issues_search_trgm/);
    },
  );

  it('checks a short term in many rows on the ordering index scan, without a sort', async () => {
    // `1` is in most rows.
    const text = await plan({ search: '1', ordering: '-priority', limit: 50 });
    expect(text).toMatch(/Index Scan.* using issues_org_priority/);
    expect(text).not.toMatch(/Sort\s{2}/);
  });

  it('pages after a cursor with an index condition', async () => {
    const first = await listIssues(bed.knex, viewer, {
      project: projects[2],
      limit: 50,
      ordering: '-created_at',
    });
    const text = await plan({ project: projects[2], limit: 50, cursor: first.nextCursor });
    expect(text).toMatch(/Index Cond: .*created_at, .*id\) < /);
    expect(text).not.toMatch(/Sort/);
  });
});

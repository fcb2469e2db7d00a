import { randomUUID } from 'node:crypto';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { issueListQuery, listIssues } from './list';
import { explain } from '../shared/explain';

/**
 * `?label=` (all given labels must be on the issue) and `?key=` on 30 000 issues in three organizations: the GIN
 * index on `label_ids` for a rare label, the ordering index scan (filtering as it goes) for a common one, the key
 * index for a key. Rows are written directly: the plan depends on the table's shape and size, not on how the rows
 * came.
 */
describe('issue list query plans for labels and keys', () => {
  const bed = useReadModelTestbed('tt_rm_label_plan');
  let viewer: string;
  const organizations = [randomUUID(), randomUUID(), randomUUID()];
  const projects = organizations.map(() => randomUUID());
  /** On one issue in 500. */
  const rare = randomUUID();
  /** On every other issue. */
  const common = randomUUID();
  /** On one issue in three. */
  const third = randomUUID();

  beforeAll(async () => {
    viewer = randomUUID();
    await bed.knex.raw(
      `INSERT INTO memberships (organization_id, user_id, role, joined_at)
       SELECT unnest(?::uuid[]), ?::uuid, 'member', now()`,
      [`{${organizations.join(',')}}`, viewer],
    );
    await bed.knex.raw(
      `INSERT INTO projects (id, organization_id, name, description, created_at, updated_at, archived, revision, key,
         last_issue_number)
       SELECT p, o, 'P', '', now(), now(), false, 0, 'P' || n, 10000
       FROM unnest(?::uuid[], ?::uuid[]) WITH ORDINALITY AS t(p, o, n)`,
      [`{${projects.join(',')}}`, `{${organizations.join(',')}}`],
    );
    await bed.knex.raw(
      `INSERT INTO labels (id, organization_id, name, color, created_at, updated_at, deleted, revision)
       SELECT l, ?::uuid, 'L' || n, '#000000', now(), now(), false, 0
       FROM unnest(?::uuid[]) WITH ORDINALITY AS t(l, n)`,
      [organizations[0]!, `{${[rare, common, third].join(',')}}`],
    );
    await bed.knex.raw(
      `INSERT INTO issues (id, project_id, organization_id, title, description, status, priority, due_date,
         assignee_id, created_by, created_at, updated_at, revision, number, key, label_ids)
       SELECT gen_random_uuid(), (?::uuid[])[1 + n % 3], (?::uuid[])[1 + n % 3], 'Issue ' || n, 'words ' || n,
         (ARRAY['open','in_progress','blocked','done'])[1 + n % 4], (ARRAY['low','medium','high','critical'])[1 + n % 4],
         NULL, NULL, ?::uuid, timestamptz '2025-01-01' + n * interval '1 minute',
         timestamptz '2025-01-01' + n * interval '1 minute', 0, 1 + n / 3, 'P' || (1 + n % 3) || '-' || (1 + n / 3),
         array_remove(ARRAY[
           CASE WHEN n % 500 = 0 THEN ?::uuid END,
           CASE WHEN n % 2 = 0 THEN ?::uuid END,
           CASE WHEN n % 3 = 0 THEN ?::uuid END], NULL)
       FROM generate_series(1, 30000) AS n`,
      [`{${projects.join(',')}}`, `{${organizations.join(',')}}`, viewer, rare, common, third],
    );
    await bed.knex.raw('ANALYZE issues; ANALYZE memberships; ANALYZE projects; ANALYZE labels');
  });

  const plan = async (request: Parameters<typeof listIssues>[2]) => {
    const built = await issueListQuery(bed.knex, viewer, request);
    if (built === null) throw new Error('nothing in scope');
    return explain(bed.knex, built.query, { seqscan: false });
  };

  it('finds a rare label through the GIN index on label_ids', async () => {
    const text = await plan({ label: rare, limit: 50 });
    expect(text).toMatch(/Bitmap Index Scan on issues_labels/);
    expect(text).toMatch(/Index Cond: \(label_ids @> /);
  });

  it.each([
    ['-created_at', 'issues_org_created'],
    ['-priority', 'issues_org_priority'],
  ])('keeps the %s index scan, without a sort, for a label on every other issue', async (ordering, index) => {
    const text = await plan({ label: common, ordering, limit: 50 });
    expect(text).toMatch(new RegExp(`Index Scan.* using ${index}`));
    expect(text).toMatch(/Filter: .*label_ids @> /);
    expect(text).not.toMatch(/Sort\s{2}/);
  });

  it('asks for every label given in one condition, and answers only issues with all of them', async () => {
    const text = await plan({ label: [common, third], limit: 50 });
    expect(text).toMatch(/label_ids @> '\{[^}]*,[^}]*\}'::uuid\[\]/);
    const page = await listIssues(bed.knex, viewer, {
      label: [common, third],
      organization: organizations[0],
    });
    expect(page.results.length).toBeGreaterThan(0);
    for (const issue of page.results) expect(Number(issue.title.split(' ')[1]) % 6).toBe(0);
  });

  it('finds an issue by key through the key index', async () => {
    const text = await plan({ key: 'p2-100', limit: 50 });
    expect(text).toMatch(/Index Scan using issues_key/);
    const page = await listIssues(bed.knex, viewer, { key: 'p2-100' });
    expect(page.results.map((i) => i.key)).toEqual(['P2-100']);
  });
});

import { randomUUID } from 'node:crypto';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { issueListQuery } from '../issues/list';
import { commentPageSql, listComments } from './queries';
import { explain } from '../shared/explain';

/**
 * The comment list and `watching`/`comment_count` on issue lists, on 40 000 comments over 200 issues (a tenth
 * deleted) and 20 000 watcher rows: a page of comments is a range scan of `issue_comments_list` in its order (no
 * sort), the first page and the next; each issue row probes `issue_watchers` by its primary key. Rows are written
 * directly: the plan depends on the tables' shape and size, not on how the rows came.
 */
describe('comment list and watching query plans', () => {
  const bed = useReadModelTestbed('tt_rm_comment_plan');
  const viewer = randomUUID();
  const organization = randomUUID();
  const project = randomUUID();
  const issues = Array.from({ length: 200 }, () => randomUUID());

  beforeAll(async () => {
    await bed.knex.raw(
      `INSERT INTO memberships (organization_id, user_id, role, joined_at) VALUES (?::uuid, ?::uuid, 'member', now())`,
      [organization, viewer],
    );
    await bed.knex.raw(
      `INSERT INTO issues (id, project_id, organization_id, title, description, status, priority, due_date,
         assignee_id, created_by, created_at, updated_at, revision, comment_count)
       SELECT i, ?::uuid, ?::uuid, 'Issue ' || n, '', 'open', 'medium', NULL, NULL, ?::uuid,
         timestamptz '2025-01-01' + n * interval '1 minute', timestamptz '2025-01-01' + n * interval '1 minute', 0, 180
       FROM unnest(?::uuid[]) WITH ORDINALITY AS t(i, n)`,
      [project, organization, viewer, `{${issues.join(',')}}`],
    );
    await bed.knex.raw(
      `INSERT INTO issue_comments (id, issue_id, project_id, organization_id, author_id, body, position, created_at,
         deleted, revision)
       SELECT gen_random_uuid(), (?::uuid[])[1 + n % 200], ?::uuid, ?::uuid, ?::uuid, 'Comment ' || n,
         lpad(n::text, 20, '0'), timestamptz '2025-01-01' + n * interval '1 second', n % 10 = 0, n
       FROM generate_series(1, 40000) AS n`,
      [`{${issues.join(',')}}`, project, organization, viewer],
    );
    await bed.knex.raw(
      `INSERT INTO issue_watchers (issue_id, user_id, watching)
       SELECT (?::uuid[])[1 + n % 200], gen_random_uuid(), n % 7 <> 0 FROM generate_series(1, 20000) AS n`,
      [`{${issues.join(',')}}`],
    );
    await bed.knex.raw(
      'INSERT INTO issue_watchers (issue_id, user_id, watching) VALUES (?::uuid, ?::uuid, true)',
      [issues[0]!, viewer],
    );
    await bed.knex.raw('ANALYZE issues; ANALYZE issue_comments; ANALYZE issue_watchers; ANALYZE memberships');
  });

  const plan = (sql: string, bindings: readonly unknown[]) =>
    explain(bed.knex, { sql, bindings }, { seqscan: false });

  it.each([
    ['the first page', false],
    ['a later page', true],
  ])('reads %s of comments by the list index, in its order, without a sort', async (_, after) => {
    const text = await plan(commentPageSql(after), [
      issues[1],
      ...(after ? ['00000000000000020000'] : []),
      51,
    ]);
    expect(text).toMatch(/Index Scan using issue_comments_list/);
    expect(text).not.toMatch(/Sort\s{2}/);
    expect(text).not.toMatch(/Seq Scan/);
  });

  it('pages the live comments oldest first, and no deleted one', async () => {
    const first = await listComments(bed.knex, issues[1]!, viewer, { limit: 100 });
    expect(first?.results).toHaveLength(100);
    const numbers = first!.results.map((c) => Number(c.body.split(' ')[1]));
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
    expect(numbers.every((n) => n % 10 !== 0)).toBe(true);
    const next = await listComments(bed.knex, issues[1]!, viewer, { limit: 100, cursor: first!.nextCursor! });
    expect(Number(next!.results[0]!.body.split(' ')[1])).toBeGreaterThan(numbers.at(-1)!);
  });

  it('answers watching on an issue list by the primary key of issue_watchers', async () => {
    const built = await issueListQuery(bed.knex, viewer, { limit: 50 });
    const text = await plan(built!.query.sql, built!.query.bindings);
    expect(text).toMatch(/Index (Only )?Scan using issue_watchers_pkey/);
    expect(text).not.toMatch(/Seq Scan on issue_watchers/);
  });
});

/**
 * A user may belong to at most 1 000 organizations (the membership limit). Lists merge one index range scan per
 * organization, so at the limit they must still plan that way (Merge Append, no sort), stay under PostgreSQL's
 * parameter limit with every filter at once, and answer correctly.
 */
import { randomUUID } from 'node:crypto';
import { listProjects } from '../projects/queries';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { issueListQuery, listIssues } from './list';
import { explain } from '../shared/explain';

const LIMIT = 1000;

describe('lists of a user at the membership limit', () => {
  const bed = useReadModelTestbed('tt_rm_limit');
  const viewer = randomUUID();
  const organizations = Array.from({ length: LIMIT }, () => randomUUID());

  beforeAll(async () => {
    const orgs = `{${organizations.join(',')}}`;
    await bed.knex.raw(
      `INSERT INTO memberships (organization_id, user_id, role, joined_at)
       SELECT unnest(?::uuid[]), ?::uuid, 'member', now()`,
      [orgs, viewer],
    );
    // One project per organization; 20 issues in each, so the newest page mixes organizations.
    await bed.knex.raw(
      `INSERT INTO projects (id, organization_id, name, description, created_at, updated_at, archived, revision)
       SELECT o, o, 'P', '', timestamptz '2025-01-01' + n * interval '1 second', now(), false, 0
       FROM unnest(?::uuid[]) WITH ORDINALITY AS t(o, n)`,
      [orgs],
    );
    await bed.knex.raw(
      `INSERT INTO issues (id, project_id, organization_id, title, description, status, priority, due_date,
         assignee_id, created_by, created_at, updated_at, revision)
       SELECT gen_random_uuid(), o, o, 'Issue ' || n || '-' || k, '', 'open', 'medium', NULL, NULL, ?::uuid,
         timestamptz '2025-01-01' + (k * ${LIMIT} + n) * interval '1 second', now(), 0
       FROM unnest(?::uuid[]) WITH ORDINALITY AS t(o, n), generate_series(1, 20) AS k`,
      [viewer, orgs],
    );
    await bed.knex.raw('ANALYZE issues; ANALYZE memberships; ANALYZE projects');
  });
  it('merges one index scan per organization, with no sort, for the issue list', async () => {
    const built = await issueListQuery(bed.knex, viewer, { limit: 50 });
    expect(built).not.toBeNull();
    const plan = await explain(bed.knex, built!.query);
    expect(plan).toMatch(/Merge Append/);
    expect(plan.match(/Index Scan[^\n]* using issues_org_created/g)).toHaveLength(LIMIT);
    expect(plan).not.toMatch(/Sort\s{2}/);
  });

  it('answers the newest issues across every organization, page after page', async () => {
    const first = await listIssues(bed.knex, viewer, { limit: 50 });
    expect(first.results).toHaveLength(50);
    // The newest 50 were created in the last round (k = 20), by the last 50 organizations.
    expect(first.results.map((i) => i.title)).toEqual(
      Array.from({ length: 50 }, (_, i) => `Issue ${LIMIT - i}-20`),
    );
    const second = await listIssues(bed.knex, viewer, { limit: 50, cursor: first.nextCursor });
    expect(second.results[0]!.title).toBe(`Issue ${LIMIT - 50}-20`);
  });

  it('stays under the parameter limit with every filter and a cursor at once', async () => {
    const first = await listIssues(bed.knex, viewer, { limit: 10, ordering: '-due_date' });
    const page = await listIssues(bed.knex, viewer, {
      limit: 10,
      ordering: '-due_date',
      cursor: first.nextCursor,
      status: ['open', 'blocked', 'in_progress'],
      priority: 'medium',
      assignedTo: 'none',
      dueBefore: '2030-01-01',
      dueAfter: '2000-01-01',
      search: 'issue one two three four five six seven eight nine',
    });
    expect(page.results).toEqual([]);
  });

  it('lists projects across every organization the same way', async () => {
    const page = await listProjects(bed.knex, viewer, { limit: 5 });
    expect(page.results.map((p) => p.id)).toEqual(organizations.slice(-5).reverse());
  });
});

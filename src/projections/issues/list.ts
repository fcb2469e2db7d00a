import type { Knex } from 'knex';
import { organizationIdsOf } from '../organizations/roles';
import { decodeCursor, encodeCursor } from '../shared/cursor';
import type { Fragment } from '../shared/keyset';
import { and, fragment, mergedBranches } from '../shared/keyset';
import { isUuid } from '../shared/ids';
import type { Page, PageRequest } from '../shared/page';
import { pageLimit, toPage } from '../shared/page';
import type { IssueFilters } from './filters';
import { filterConditions, scopeFilters } from './filters';
import type { OrderPlan } from './ordering';
import { afterCursor, orderPlan, validIssueCursorKey } from './ordering';
import type { IssueRow } from './row';
import { issueFromRow, issueSelect } from './row';
import type { IssueView } from './view';

export interface IssueListRequest extends PageRequest, IssueFilters {
  /** One of ISSUE_ORDERINGS; default `-created_at`. */
  ordering?: string;
}

/** Inside each branch: what the view needs, plus the ordering keys. */
const BRANCH_COLUMNS = `id, key, project_id, title, description, status, priority, due_date, assignee_id, created_by,
  created_at, updated_at, revision, label_ids, comment_count, due_key, priority_rank, status_rank, title_key`;

/**
 * The scope of the list as branches: one project, or each of the viewer's organizations (or the one asked for).
 * An organization or project the viewer cannot see gives no rows, hence an empty list. A project or an
 * organization asked for is checked inside the list's own statement, by an uncorrelated `EXISTS` that PostgreSQL
 * runs once ahead of the scan (an InitPlan gating it, a "One-Time Filter"), so such a page is one statement;
 * only the list over all the viewer's organizations reads them first, to make a branch of each.
 */
const scopes = async (db: Knex, viewerId: string, filters: IssueFilters): Promise<Fragment[]> => {
  const { project, organization } = scopeFilters(filters);
  if (!isUuid(viewerId)) return [];
  if (project !== undefined) {
    const inOrganization =
      organization === undefined ? fragment('TRUE') : fragment('p.organization_id = ?::uuid', organization);
    return [
      fragment(
        `project_id = ?::uuid AND EXISTS (SELECT 1 FROM projects p JOIN memberships m ON m.organization_id = p.organization_id
          WHERE p.id = ?::uuid AND m.user_id = ?::uuid AND ${inOrganization.sql})`,
        project,
        project,
        viewerId,
        ...inOrganization.bindings,
      ),
    ];
  }
  if (organization !== undefined) {
    return [
      fragment(
        'organization_id = ?::uuid AND EXISTS (SELECT 1 FROM memberships WHERE organization_id = ?::uuid AND user_id = ?::uuid)',
        organization,
        organization,
        viewerId,
      ),
    ];
  }
  const mine = await organizationIdsOf(db, viewerId);
  return mine.map((id) => fragment('organization_id = ?::uuid', id));
};

/**
 * The SQL of one page of `GET /issues/` (exported so its plan can be checked), or null when the viewer can see
 * nothing in scope. Each branch is an index range scan in the list's order (scope, ordering key, created_at, id), so no
 * page needs a sort, and a cursor is a position in that order: rows inserted between pages never make a page
 * skip or repeat a row.
 */
export const issueListQuery = async (
  db: Knex,
  viewerId: string,
  request: IssueListRequest = {},
): Promise<{ query: Fragment; plan: OrderPlan; limit: number } | null> => {
  const limit = pageLimit(request.limit);
  const plan = orderPlan(request.ordering);
  const key = request.cursor
    ? decodeCursor(request.cursor, plan.ordering, validIssueCursorKey(plan.ordering))
    : null;
  const conditions = filterConditions(request, viewerId);
  if (key !== null) conditions.push(afterCursor(plan.ordering, key));
  const branches = await scopes(db, viewerId, request);
  if (branches.length === 0) return null;
  const query = mergedBranches({
    branches: branches.map((scope) => and([scope, ...conditions])),
    innerColumns: BRANCH_COLUMNS,
    outerColumns: `${issueSelect('page', viewerId)}, jsonb_build_array(${plan.keyText}) AS cursor_key`,
    from: 'issues',
    orderBy: plan.orderBy,
    limit: limit + 1,
  });
  return { query, plan, limit };
};

/** `GET /issues/`: issues of the viewer's organizations, filtered and ordered, by keyset pages. */
export const listIssues = async (
  db: Knex,
  viewerId: string,
  request: IssueListRequest = {},
): Promise<Page<IssueView>> => {
  const built = await issueListQuery(db, viewerId, request);
  if (built === null) return { results: [], nextCursor: null };
  const { query, plan, limit } = built;
  // Planned on every run: its LIMIT and its filters' values choose the plan (an index scan in the list's order),
  // which a generic plan of a prepared statement would choose without them.
  const { rows } = await db.raw<{ rows: (IssueRow & { cursor_key: (string | number | null)[] })[] }>(
    query.sql,
    query.bindings,
  );
  return toPage(rows, limit, issueFromRow, (row) =>
    encodeCursor({ ordering: plan.ordering, key: [...row.cursor_key, row.id] }),
  );
};

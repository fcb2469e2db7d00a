/**
 * The list requests the list and growth rows make: filters and orderings of API.md over the skewed issue set,
 * common and rare matches alike, 50 per page. Each is both a query string and the request `issueListQuery`
 * takes, so its plan can be checked with EXPLAIN.
 */
import type { IssueListRequest } from '../../src/projections/issues/list';
import type { IssueSet } from './issues';

export interface ListQuery {
  name: string;
  request: IssueListRequest;
}

const WIRE: Record<string, string> = { assignedTo: 'assigned_to', updatedAfter: 'updated_after' };

export const queryString = (request: IssueListRequest): string =>
  Object.entries(request)
    .flatMap(([key, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) => [WIRE[key] ?? key, String(v)]),
    )
    .map(([key, value]) => `${key}=${encodeURIComponent(value!)}`)
    .join('&');

export const listPath = (request: IssueListRequest): string => `/api/v1/issues/?${queryString(request)}`;

/** The mix of the list row: each connection takes them in turn. */
export const listMix = (set: IssueSet): ListQuery[] => {
  const [p0, p1, p2] = set.projects as [string, string, string];
  const organization = set.organization;
  return [
    { name: 'open by priority', request: { project: p0, status: 'open', ordering: '-priority', limit: 50 } },
    {
      name: 'rare status by title',
      request: { project: p0, status: 'blocked', ordering: 'title', limit: 50 },
    },
    { name: 'common term', request: { project: p1, search: 'login', limit: 50 } },
    {
      name: 'rarer term by priority',
      request: { organization, search: 'docs', ordering: '-priority', limit: 50 },
    },
    {
      name: 'critical, newest',
      request: { organization, priority: 'critical', ordering: '-created_at', limit: 50 },
    },
    {
      name: 'unassigned by due date',
      request: { organization, assignedTo: 'none', ordering: 'due_date', limit: 50 },
    },
    {
      name: 'two filters, recently updated',
      request: { project: p2, status: 'in_progress', priority: 'high', ordering: '-updated_at', limit: 50 },
    },
    { name: 'organization, default order', request: { organization, limit: 50 } },
  ];
};

/** The request the growth row repeats on big and small data. */
export const growthQuery = (set: IssueSet): IssueListRequest => ({
  project: set.projects[0],
  status: 'open',
  ordering: '-priority',
  limit: 50,
});

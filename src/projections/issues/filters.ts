import type { IssuePriority, IssueStatus } from '../../domain';
import { ISSUE_PRIORITIES, ISSUE_STATUSES, ValidationError } from '../../domain';
import { isUuid } from '../shared/ids';
import type { Fragment } from '../shared/keyset';
import { fragment } from '../shared/keyset';
import { arrayParam } from '../shared/sql';
import { isCalendarDate, isStorableText } from '../shared/values';

/** The filters of `GET /issues/`, as query-string values (validated here too: a bad one is a 400, never a 500). */
export interface IssueFilters {
  project?: string;
  organization?: string;
  /** Repeatable: any of these. */
  status?: string | readonly string[];
  priority?: string;
  /** A user id, `me` or `none`. */
  assignedTo?: string;
  /** Strictly before / after / on, as `YYYY-MM-DD`. */
  dueBefore?: string;
  dueAfter?: string;
  dueDate?: string;
  /** Words of the title and description, in web search syntax (`"exact phrase"`, `-excluded`, `or`). */
  search?: string;
}

export const SEARCH_MAX = 500;

const refuse = (path: string, message: string): never => {
  throw ValidationError.field(path, message);
};

const statuses = (value: IssueFilters['status']): IssueStatus[] => {
  const list = typeof value === 'string' ? [value] : [...(value ?? [])];
  for (const s of list)
    if (!(ISSUE_STATUSES as readonly string[]).includes(s))
      refuse('status', `must be one of ${ISSUE_STATUSES.join(', ')}`);
  return [...new Set(list as IssueStatus[])];
};

const dateFilter = (path: string, value: string | undefined, sql: string): Fragment[] => {
  if (value === undefined) return [];
  if (!isCalendarDate(value)) refuse(path, 'must be a date written YYYY-MM-DD');
  return [fragment(sql, value)];
};

const assigneeFilter = (value: string | undefined, viewerId: string): Fragment[] => {
  if (value === undefined) return [];
  if (value === 'none') return [fragment('assignee_id IS NULL')];
  const userId = value === 'me' ? viewerId : value;
  if (!isUuid(userId)) refuse('assigned_to', 'must be a user id, me or none');
  return [fragment('assignee_id = ?::uuid', userId)];
};

const searchFilter = (value: string | undefined): Fragment[] => {
  if (value === undefined || value.trim() === '') return [];
  if (!isStorableText(value) || value.length > SEARCH_MAX)
    refuse('search', `must be text of at most ${SEARCH_MAX} characters`);
  return [fragment(`search @@ websearch_to_tsquery('english'::regconfig, ?)`, value)];
};

/** The conditions every branch of the list applies besides its scope and cursor. */
export const filterConditions = (filters: IssueFilters, viewerId: string): Fragment[] => {
  const status = statuses(filters.status);
  const priority = filters.priority;
  if (priority !== undefined && !(ISSUE_PRIORITIES as readonly string[]).includes(priority)) {
    refuse('priority', `must be one of ${ISSUE_PRIORITIES.join(', ')}`);
  }
  return [
    ...(status.length === 1 ? [fragment('status = ?', status[0]!)] : []),
    ...(status.length > 1 ? [fragment('status = ANY(?::text[])', arrayParam(status))] : []),
    ...(priority === undefined ? [] : [fragment('priority = ?', priority as IssuePriority)]),
    ...assigneeFilter(filters.assignedTo, viewerId),
    ...dateFilter('due_before', filters.dueBefore, 'due_date < ?::date'),
    ...dateFilter('due_after', filters.dueAfter, 'due_date > ?::date'),
    ...dateFilter('due_date', filters.dueDate, 'due_date = ?::date'),
    ...searchFilter(filters.search),
  ];
};

/** `project` and `organization` must at least look like ids. */
export const scopeFilters = (filters: IssueFilters): { project?: string; organization?: string } => {
  if (filters.project !== undefined && !isUuid(filters.project)) refuse('project', 'must be a project id');
  if (filters.organization !== undefined && !isUuid(filters.organization)) {
    refuse('organization', 'must be an organization id');
  }
  return { project: filters.project, organization: filters.organization };
};

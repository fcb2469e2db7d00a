import type { IssuePriority, IssueStatus } from '../../domain';
import { ISSUE_PRIORITIES, ISSUE_STATUSES, parseIssueKey, ValidationError } from '../../domain';
import { isUuid } from '../shared/ids';
import type { Fragment } from '../shared/keyset';
import { fragment } from '../shared/keyset';
import { arrayParam } from '../shared/sql';
import { isCalendarDate, isIsoTime, isStorableText } from '../shared/values';

/** The filters of `GET /issues/`, as query-string values (validated here too: a bad one is a 400, never a 500). */
export interface IssueFilters {
  project?: string;
  organization?: string;
  /** Repeatable: any of these. */
  status?: string | readonly string[];
  /** Repeatable: any of these. */
  priority?: string | readonly string[];
  /** Strictly later than this ISO time (for clients that sync). */
  updatedAfter?: string;
  /** A user id, `me` or `none`. */
  assignedTo?: string;
  /** Strictly before / after / on, as `YYYY-MM-DD`. */
  dueBefore?: string;
  dueAfter?: string;
  dueDate?: string;
  /**
   * Whitespace-separated terms (at most SEARCH_TERMS_MAX), each of which must occur in the title or the
   * description as a substring, ignoring case and accents; `%`, `_` and `\` are plain characters.
   */
  search?: string;
  /** Label ids, repeatable: issues that carry every one of them. */
  label?: string | readonly string[];
  /** An issue key (`WEB-12`, any case): the issue of that key in each organization in scope. */
  key?: string;
}

export const SEARCH_MAX = 500;
/** Labels one `?label=` filter may name: each is one more array element the index looks up. */
export const LABEL_FILTER_MAX = 20;
/** Each term is one more trigram index lookup or filter per row: a bound on the cost of one search. */
export const SEARCH_TERMS_MAX = 10;

const refuse = (path: string, message: string): never => {
  throw ValidationError.field(path, message);
};

/** A repeatable filter's values, each one of `allowed`, without repeats. */
const oneOfEach = <T extends string>(
  path: string,
  value: string | readonly string[] | undefined,
  allowed: readonly T[],
) => {
  const list = typeof value === 'string' ? [value] : [...(value ?? [])];
  for (const v of list)
    if (!(allowed as readonly string[]).includes(v)) refuse(path, `must be one of ${allowed.join(', ')}`);
  return [...new Set(list as T[])];
};

/** `column = value` for one value, `column = ANY(values)` for several, nothing for none. */
const anyOf = (column: string, values: readonly string[]): Fragment[] =>
  values.length === 0
    ? []
    : values.length === 1
      ? [fragment(`${column} = ?`, values[0]!)]
      : [fragment(`${column} = ANY(?::text[])`, arrayParam(values))];

const dateFilter = (path: string, value: string | undefined, sql: string): Fragment[] => {
  if (value === undefined) return [];
  if (!isCalendarDate(value)) refuse(path, 'must be a date written YYYY-MM-DD');
  return [fragment(sql, value)];
};

const updatedAfterFilter = (value: string | undefined): Fragment[] => {
  if (value === undefined) return [];
  if (!isIsoTime(value)) refuse('updated_after', 'must be an ISO 8601 time, e.g. 2030-01-31T12:00:00Z');
  return [fragment('updated_at > ?::timestamptz', value)];
};

const assigneeFilter = (value: string | undefined, viewerId: string): Fragment[] => {
  if (value === undefined) return [];
  if (value === 'none') return [fragment('assignee_id IS NULL')];
  const userId = value === 'me' ? viewerId : value;
  if (!isUuid(userId)) refuse('assigned_to', 'must be a user id, me or none');
  return [fragment('assignee_id = ?::uuid', userId)];
};

/**
 * A term as a `LIKE` pattern: folded as `search_text` is, then escaped, in that order because folding can make a
 * LIKE character (`％` becomes `%`). Immutable all through, so the planner folds it to a constant pattern and
 * can take the trigram index.
 */
const TERM_PATTERN = `'%' || replace(replace(replace(issue_search_fold(?), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'`;

/**
 * The trigram index narrows a search only by a term with three letters or digits in a row. For any other term it
 * would read the whole index and recheck every row of the table, once per organization in scope: 1.3 s at a
 * million issues for a rare two-letter term. `COLLATE "C"` (the same matches: LIKE is collation-blind for
 * deterministic collations) keeps such a term off that index, which has the column's collation, while the
 * planner still estimates it from the column's statistics: a common term is checked on the rows the ordering
 * index scan meets, a rare one by a scan of the table (0.4 s), see docs/read-models.md.
 */
const INDEXABLE_TERM = /[\p{L}\p{N}]{3}/u;

const termCondition = (term: string): Fragment =>
  fragment(`search_text${INDEXABLE_TERM.test(term) ? '' : ' COLLATE "C"'} LIKE ${TERM_PATTERN}`, term);

const searchFilter = (value: string | undefined): Fragment[] => {
  if (value === undefined) return [];
  if (!isStorableText(value) || value.length > SEARCH_MAX)
    refuse('search', `must be text of at most ${SEARCH_MAX} characters`);
  const terms = value.split(/\s+/).filter((term) => term !== '');
  if (terms.length > SEARCH_TERMS_MAX) refuse('search', `must have at most ${SEARCH_TERMS_MAX} terms`);
  return terms.map(termCondition);
};

/**
 * `label_ids @> {…}`: every label given, by the GIN index `issues_labels` when the labels are rare (a bitmap of the
 * matches, sorted), or checked on the rows the ordering index scan meets when they are common (no sort).
 */
const labelFilter = (value: string | readonly string[] | undefined): Fragment[] => {
  if (value === undefined) return [];
  const ids = [...new Set(typeof value === 'string' ? [value] : value)];
  if (ids.length > LABEL_FILTER_MAX) refuse('label', `must name at most ${LABEL_FILTER_MAX} labels`);
  if (!ids.every(isUuid)) refuse('label', 'must be a label id');
  return ids.length === 0 ? [] : [fragment('label_ids @> ?::uuid[]', arrayParam(ids))];
};

const keyFilter = (value: string | undefined): Fragment[] => {
  if (value === undefined) return [];
  const parsed = parseIssueKey(value);
  if (parsed === null) refuse('key', 'must be an issue key such as WEB-12');
  return [fragment('key = ?', `${parsed!.projectKey}-${parsed!.number}`)];
};

/** The conditions every branch of the list applies besides its scope and cursor. */
export const filterConditions = (filters: IssueFilters, viewerId: string): Fragment[] => {
  const status = oneOfEach<IssueStatus>('status', filters.status, ISSUE_STATUSES);
  const priority = oneOfEach<IssuePriority>('priority', filters.priority, ISSUE_PRIORITIES);
  return [
    ...anyOf('status', status),
    ...anyOf('priority', priority),
    ...updatedAfterFilter(filters.updatedAfter),
    ...assigneeFilter(filters.assignedTo, viewerId),
    ...dateFilter('due_before', filters.dueBefore, 'due_date < ?::date'),
    ...dateFilter('due_after', filters.dueAfter, 'due_date > ?::date'),
    ...dateFilter('due_date', filters.dueDate, 'due_date = ?::date'),
    ...searchFilter(filters.search),
    ...labelFilter(filters.label),
    ...keyFilter(filters.key),
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

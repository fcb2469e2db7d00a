/** What the API, realtime and jobs may ask about issues. */
export type { AsOf } from './as-of';
export { issueAsOf, parseAsOf } from './as-of';
export type { Changes } from './changes';
export type { IssueFilters } from './filters';
export { LABEL_FILTER_MAX, SEARCH_MAX, SEARCH_TERMS_MAX } from './filters';
export type { KeyLookup } from './keys';
export { issueByKey } from './keys';
export type { IssueWithRevision } from './get';
export { getIssue } from './get';
export type { HistoryEntry } from './history';
export { issueHistory } from './history';
export type { IssueListRequest } from './list';
export { listIssues } from './list';
export type { IssueOrdering } from './ordering';
export { ISSUE_ORDERINGS } from './ordering';
export type { IssueView, UserRef } from './view';

import type { Event } from '../shared/decider';

export const issueStream = (issueId: string): string => `issue-${issueId}`;

export type IssueStatus = 'open' | 'in_progress' | 'blocked' | 'done';
export type IssuePriority = 'low' | 'medium' | 'high' | 'critical';
export const ISSUE_STATUSES: readonly IssueStatus[] = ['open', 'in_progress', 'blocked', 'done'];
export const ISSUE_PRIORITIES: readonly IssuePriority[] = ['low', 'medium', 'high', 'critical'];

/** Every issue event names its project and organization so projections and rooms need no lookup. */
interface IssueRef {
  issueId: string;
  projectId: string;
  organizationId: string;
}

export type IssueCreated = Event<
  'IssueCreated',
  IssueRef & {
    title: string;
    description: string;
    status: IssueStatus;
    priority: IssuePriority;
    /** `YYYY-MM-DD` or null. */
    dueDate: string | null;
    assigneeId: string | null;
    createdBy: string;
  }
>;
export type IssueTitleChanged = Event<
  'IssueTitleChanged',
  IssueRef & { title: string; previousTitle: string }
>;
export type IssueDescriptionChanged = Event<
  'IssueDescriptionChanged',
  IssueRef & { description: string; previousDescription: string }
>;
export type IssueStatusChanged = Event<
  'IssueStatusChanged',
  IssueRef & { status: IssueStatus; previousStatus: IssueStatus }
>;
export type IssuePriorityChanged = Event<
  'IssuePriorityChanged',
  IssueRef & { priority: IssuePriority; previousPriority: IssuePriority }
>;
export type IssueDueDateChanged = Event<
  'IssueDueDateChanged',
  IssueRef & { dueDate: string | null; previousDueDate: string | null }
>;
export type IssueAssigned = Event<
  'IssueAssigned',
  IssueRef & { assigneeId: string; previousAssigneeId: string | null }
>;
export type IssueUnassigned = Event<'IssueUnassigned', IssueRef & { previousAssigneeId: string }>;
export type IssueDeleted = Event<'IssueDeleted', IssueRef>;
/**
 * A deleted issue brought back, as it was when deleted: the fields travel with the event, so a reader that kept
 * only a tombstone of the deletion can show the issue again without folding its stream.
 */
export type IssueRestored = Event<
  'IssueRestored',
  IssueRef & {
    title: string;
    description: string;
    status: IssueStatus;
    priority: IssuePriority;
    dueDate: string | null;
    assigneeId: string | null;
    createdBy: string;
  }
>;

export type IssueEvent =
  | IssueCreated
  | IssueTitleChanged
  | IssueDescriptionChanged
  | IssueStatusChanged
  | IssuePriorityChanged
  | IssueDueDateChanged
  | IssueAssigned
  | IssueUnassigned
  | IssueDeleted
  | IssueRestored;

export const ISSUE_EVENT_TYPES = [
  'IssueCreated',
  'IssueTitleChanged',
  'IssueDescriptionChanged',
  'IssueStatusChanged',
  'IssuePriorityChanged',
  'IssueDueDateChanged',
  'IssueAssigned',
  'IssueUnassigned',
  'IssueDeleted',
  'IssueRestored',
] as const satisfies readonly IssueEvent['type'][];

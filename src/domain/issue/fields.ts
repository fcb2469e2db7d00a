import type { Checked } from '../shared/validation';
import { accept, boundedText, calendarDateOrNull, oneOf, refuse, trimmedText } from '../shared/validation';
import type { IssueContext } from './commands';
import { ISSUE_PRIORITIES, ISSUE_STATUSES } from './events';

export const ISSUE_TITLE_MAX = 255;
export const ISSUE_DESCRIPTION_MAX = 10_000;

export const titleCheck = trimmedText(ISSUE_TITLE_MAX);
export const descriptionCheck = boundedText(ISSUE_DESCRIPTION_MAX);
export const statusCheck = oneOf(ISSUE_STATUSES);
export const priorityCheck = oneOf(ISSUE_PRIORITIES);
export const dueDateCheck = calendarDateOrNull;

/**
 * `undefined` leaves the assignment alone and `null` means nobody. Keeping the current assignee is no change,
 * so it is accepted without asking about membership (a client may PATCH back the whole issue it read).
 */
export const assigneeCheck =
  (context: IssueContext, currentAssigneeId: string | null) =>
  (value: unknown): Checked<string | null | undefined> => {
    if (value === undefined || value === null) return accept(value);
    if (typeof value !== 'string' || value.length === 0) return refuse('must be a user id or null');
    if (value === currentAssigneeId) return accept(value);
    return context.assigneeIsMember === true ? accept(value) : refuse('must be a member of the organization');
  };

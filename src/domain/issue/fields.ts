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

export const COMMENT_BODY_MAX = 10_000;
/** 1–10 000 characters after trimming; kept trimmed. */
export const commentBodyCheck = trimmedText(COMMENT_BODY_MAX);

/**
 * The `@username`s of a comment body, each once, in the order first named (what the handler resolves to members).
 * A name is what registration allows (letters, digits, `_`, `.`, `-`) and may not follow a word character, so an
 * email address mentions nobody.
 */
export const mentionedUsernames = (body: string): string[] => {
  const names = [...body.matchAll(/(?<![\w@.])@([A-Za-z0-9_][A-Za-z0-9_.-]*)/g)].map((m) =>
    (m[1] ?? '').replace(/[.-]+$/, ''),
  );
  return [...new Set(names.filter((n) => n.length > 0))].slice(0, MENTIONS_MAX);
};
/** At most this many distinct names are looked up per comment. */
export const MENTIONS_MAX = 50;

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

/** How many labels one issue may carry: a bound on what one issue costs every list that shows it. */
export const ISSUE_LABELS_MAX = 100;

const sameLabels = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((id, i) => id === b[i]);

/** Sorted, without repeats: the one form the state and the events keep, so sets compare as arrays. */
export const labelSet = (ids: Iterable<string>): string[] => [...new Set(ids)].sort();

export const labelsUnchanged = sameLabels;

/**
 * `undefined` leaves the labels alone. Every label added must be one of the organization's now; labels the issue
 * already has are kept without asking (one deleted meanwhile comes off by the label-removals process).
 */
export const labelsCheck =
  (context: IssueContext, current: readonly string[]) =>
  (value: unknown): Checked<string[] | undefined> => {
    if (value === undefined) return accept(undefined);
    if (!Array.isArray(value) || !value.every((id) => typeof id === 'string' && id.length > 0))
      return refuse('must be a list of label ids');
    const ids = labelSet(value as string[]);
    if (ids.length > ISSUE_LABELS_MAX) return refuse(`must name at most ${ISSUE_LABELS_MAX} labels`);
    const known = context.labelIds ?? new Set<string>();
    return ids.every((id) => current.includes(id) || known.has(id))
      ? accept(ids)
      : refuse('must be labels of the organization');
  };

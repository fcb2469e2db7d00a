import type { IssueEvent } from '../../domain';
import { namedLabels } from '../labels/record';
import { userRef } from '../users/usernames';
import type { LabelLookup } from './view';

/** What changes name besides users: labels (by id, as they were or are), and the key a creation got. */
export interface ChangeNames {
  labels?: LabelLookup;
  /** The issue's key, shown as set by its creation. */
  key?: string | null;
}

/** `{ field: [old, new] }` with the API's field names; `assigned_to` values are `{ id, username }` or null, as in the issue. */
export type Changes = Record<string, [unknown, unknown]>;

/** The user ids an event's changes mention, to look their usernames up once per batch. */
export const usersMentioned = (event: IssueEvent): (string | null)[] => {
  switch (event.type) {
    case 'IssueCreated':
      return [event.data.assigneeId, event.data.createdBy];
    case 'IssueAssigned':
      return [event.data.assigneeId, event.data.previousAssigneeId];
    case 'IssueUnassigned':
      return [event.data.previousAssigneeId];
    case 'CommentAdded':
    case 'CommentDeleted':
      return [event.data.authorId];
    case 'IssueWatched':
    case 'IssueUnwatched':
      return [event.data.userId];
    default:
      return [];
  }
};

/**
 * What an event changed, from the event alone (events carry the previous value). A creation shows every field
 * going from null to its first value (its key too, when `names` has it: no event records it); a deletion or a
 * restore changes no field. Labels are `{ id, name, color }`, named by `names.labels`.
 */
export const issueChanges = (
  event: IssueEvent,
  usernames: ReadonlyMap<string, string>,
  names: ChangeNames = {},
): Changes => {
  const labels = (ids: readonly string[]) => namedLabels(ids, names.labels ?? new Map());
  switch (event.type) {
    case 'IssueCreated': {
      const { data } = event;
      return {
        ...(names.key !== undefined ? { key: [null, names.key] } : {}),
        title: [null, data.title],
        description: [null, data.description],
        status: [null, data.status],
        priority: [null, data.priority],
        due_date: [null, data.dueDate],
        assigned_to: [null, userRef(data.assigneeId, usernames)],
        labels: [null, labels(data.labelIds)],
      };
    }
    case 'IssueLabelsChanged':
      return { labels: [labels(event.data.previousLabelIds), labels(event.data.labelIds)] };
    case 'IssueTitleChanged':
      return { title: [event.data.previousTitle, event.data.title] };
    case 'IssueDescriptionChanged':
      return { description: [event.data.previousDescription, event.data.description] };
    case 'IssueStatusChanged':
      return { status: [event.data.previousStatus, event.data.status] };
    case 'IssuePriorityChanged':
      return { priority: [event.data.previousPriority, event.data.priority] };
    case 'IssueDueDateChanged':
      return { due_date: [event.data.previousDueDate, event.data.dueDate] };
    case 'IssueAssigned':
      return {
        assigned_to: [
          userRef(event.data.previousAssigneeId, usernames),
          userRef(event.data.assigneeId, usernames),
        ],
      };
    case 'IssueUnassigned':
      return { assigned_to: [userRef(event.data.previousAssigneeId, usernames), null] };
    case 'IssueDeleted':
    case 'IssueRestored':
      return {};
    // Every version of a comment stays in the log; history shows each one (a deletion shows no body).
    case 'CommentAdded':
      return { comment: [null, { id: event.data.commentId, body: event.data.body }] };
    case 'CommentEdited':
      return {
        comment: [
          { id: event.data.commentId, body: event.data.previousBody },
          { id: event.data.commentId, body: event.data.body },
        ],
      };
    case 'CommentDeleted':
      return { comment: [{ id: event.data.commentId }, null] };
    case 'IssueWatched':
      return { watcher: [null, userRef(event.data.userId, usernames)] };
    case 'IssueUnwatched':
      return { watcher: [userRef(event.data.userId, usernames), null] };
    case 'AttachmentAdded': {
      const { data } = event;
      return {
        attachments: [
          null,
          {
            id: data.attachmentId,
            filename: data.filename,
            content_type: data.contentType,
            size: data.size,
            sha256: data.sha256,
          },
        ],
      };
    }
    case 'AttachmentRemoved':
      return { attachments: [{ id: event.data.attachmentId, filename: event.data.filename }, null] };
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
};

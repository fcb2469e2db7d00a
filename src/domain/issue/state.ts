import type { IssueEvent, IssueFields, IssueRef } from './events';
import { evolveWatching } from './watching';

/** A comment as the decider needs it (deleted comments are gone from the map). */
export interface IssueComment {
  authorId: string;
  body: string;
  mentionedIds: readonly string[];
}

/** What the decider needs to know of a live attachment: who may remove it. */
export interface AttachmentState {
  uploadedBy: string;
  filename: string;
  storageKey: string;
}

export interface Issue extends IssueRef, IssueFields {
  exists: boolean;
  /**
   * Its live attachments by id. Not one of the issue's fields: no event but the attachment events carries them, and a
   * deletion and restoration of the issue keeps them.
   */
  attachments: Readonly<Record<string, AttachmentState>>;
  /** A deleted issue stays in its stream but answers every command as if it did not exist. */
  deleted: boolean;
  /** Its live comments by id. A read model's record that is not folded from the stream has none. */
  comments: ReadonlyMap<string, IssueComment>;
  /** Who watches it (`true`) or explicitly unwatched it (`false`), see `watching.ts`. */
  watch: ReadonlyMap<string, boolean>;
}

export const initialState = (): Issue => ({
  exists: false,
  deleted: false,
  issueId: '',
  projectId: '',
  organizationId: '',
  title: '',
  description: '',
  status: 'open',
  priority: 'medium',
  dueDate: null,
  assigneeId: null,
  createdBy: '',
  labelIds: [],
  attachments: {},
  comments: new Map(),
  watch: new Map(),
});

/**
 * The issue as an event that carries all of it (its creation, its restoration) describes it; its attachments, its
 * comments and who watches it survive a deletion and its restore.
 */
const recorded = (state: Issue, data: IssueRef & IssueFields): Issue => ({
  exists: true,
  attachments: state.attachments,
  deleted: false,
  issueId: data.issueId,
  projectId: data.projectId,
  organizationId: data.organizationId,
  title: data.title,
  description: data.description,
  status: data.status,
  priority: data.priority,
  dueDate: data.dueDate,
  assigneeId: data.assigneeId,
  createdBy: data.createdBy,
  labelIds: data.labelIds,
  comments: state.comments,
  watch: state.watch,
});

const withComment = (state: Issue, commentId: string, comment: IssueComment | null): Issue => {
  const comments = new Map(state.comments);
  if (comment === null) comments.delete(commentId);
  else comments.set(commentId, comment);
  return { ...state, comments };
};

export const evolve = (state: Issue, event: IssueEvent): Issue => {
  const watch = evolveWatching(state.watch, event);
  const next = evolveFields(state, event);
  return next.watch === watch ? next : { ...next, watch };
};

const evolveFields = (state: Issue, event: IssueEvent): Issue => {
  switch (event.type) {
    case 'IssueCreated':
      return recorded(state, event.data);
    case 'IssueTitleChanged':
      return { ...state, title: event.data.title };
    case 'IssueDescriptionChanged':
      return { ...state, description: event.data.description };
    case 'IssueStatusChanged':
      return { ...state, status: event.data.status };
    case 'IssuePriorityChanged':
      return { ...state, priority: event.data.priority };
    case 'IssueDueDateChanged':
      return { ...state, dueDate: event.data.dueDate };
    case 'IssueLabelsChanged':
      return { ...state, labelIds: event.data.labelIds };
    case 'IssueAssigned':
      return { ...state, assigneeId: event.data.assigneeId };
    case 'IssueUnassigned':
      return { ...state, assigneeId: null };
    case 'IssueDeleted':
      return { ...state, deleted: true };
    case 'IssueRestored':
      return recorded(state, event.data);
    case 'CommentAdded': {
      const { commentId, authorId, body, mentionedIds } = event.data;
      return withComment(state, commentId, { authorId, body, mentionedIds });
    }
    case 'CommentEdited': {
      const { commentId, body, mentionedIds } = event.data;
      const authorId = state.comments.get(commentId)?.authorId ?? '';
      return withComment(state, commentId, { authorId, body, mentionedIds });
    }
    case 'CommentDeleted':
      return withComment(state, event.data.commentId, null);
    case 'IssueWatched':
    case 'IssueUnwatched':
      return state;
    case 'AttachmentAdded': {
      const { attachmentId, uploadedBy, filename, storageKey } = event.data;
      return {
        ...state,
        attachments: { ...state.attachments, [attachmentId]: { uploadedBy, filename, storageKey } },
      };
    }
    case 'AttachmentRemoved': {
      const { [event.data.attachmentId]: _removed, ...attachments } = state.attachments;
      return { ...state, attachments };
    }
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
};

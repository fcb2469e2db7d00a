import { canManage, visibleTo } from '../shared/access';
import type { Decider } from '../shared/decider';
import { ForbiddenError, IllegalStateError, NotFoundError } from '../shared/errors';
import { ifGiven, orDefault, validated } from '../shared/validation';
import type {
  AddComment,
  CreateIssue,
  DeleteComment,
  DeleteIssue,
  EditComment,
  IssueCommand,
  IssuePatch,
  RestoreIssue,
  UnwatchIssue,
  WatchIssue,
} from './commands';
import { addAttachment, removeAttachment } from './attachments';
import type { IssueEvent } from './events';
import {
  assigneeCheck,
  commentBodyCheck,
  descriptionCheck,
  dueDateCheck,
  labelSet,
  labelsCheck,
  labelsUnchanged,
  priorityCheck,
  statusCheck,
  titleCheck,
} from './fields';
import type { Issue } from './state';
import { evolve, initialState } from './state';

export type { Issue } from './state';
export { evolve, initialState } from './state';

/** Unknown, deleted and not-visible issues look the same from outside. */
const requireVisible = (command: IssueCommand, state: Issue) => {
  const role = visibleTo(command.context, 'issue');
  if (!state.exists || state.deleted) throw new NotFoundError('issue not found');
  return role;
};

const create = (command: CreateIssue, state: Issue): IssueEvent[] => {
  visibleTo(command.context, 'project');
  const { data } = command;
  const input = validated({
    title: titleCheck(data.title),
    description: orDefault(data.description, '', descriptionCheck),
    status: orDefault(data.status, 'open', statusCheck),
    priority: orDefault(data.priority, 'medium', priorityCheck),
    dueDate: orDefault(data.dueDate, null, dueDateCheck),
    assigneeId: orDefault(data.assigneeId, null, assigneeCheck(command.context, null)),
    labelIds: labelsCheck(command.context, [])(data.labelIds),
  });
  if (state.exists) throw new IllegalStateError('issue already exists');
  if (command.context.projectArchived === true) throw new IllegalStateError('project is archived');
  return [
    {
      type: 'IssueCreated',
      data: {
        issueId: data.issueId,
        projectId: data.projectId,
        organizationId: data.organizationId,
        title: input.title,
        description: input.description,
        status: input.status,
        priority: input.priority,
        dueDate: input.dueDate,
        assigneeId: input.assigneeId ?? null,
        createdBy: command.metadata.actorId,
        labelIds: input.labelIds ?? [],
      },
    },
  ];
};

/** One event per changed field, always in the same order; nothing changed, nothing emitted. */
const change = (command: IssueCommand, patch: IssuePatch, state: Issue): IssueEvent[] => {
  requireVisible(command, state);
  const input = validated({
    title: ifGiven(patch.title, titleCheck),
    description: ifGiven(patch.description, descriptionCheck),
    status: ifGiven(patch.status, statusCheck),
    priority: ifGiven(patch.priority, priorityCheck),
    dueDate: ifGiven(patch.dueDate, dueDateCheck),
    assigneeId: assigneeCheck(command.context, state.assigneeId)(patch.assigneeId),
    labelIds: labelsCheck(command.context, state.labelIds)(patch.labelIds),
  });
  const ref = { issueId: state.issueId, projectId: state.projectId, organizationId: state.organizationId };
  const events: IssueEvent[] = [];
  if (input.title !== undefined && input.title !== state.title) {
    events.push({
      type: 'IssueTitleChanged',
      data: { ...ref, title: input.title, previousTitle: state.title },
    });
  }
  if (input.description !== undefined && input.description !== state.description) {
    events.push({
      type: 'IssueDescriptionChanged',
      data: { ...ref, description: input.description, previousDescription: state.description },
    });
  }
  if (input.status !== undefined && input.status !== state.status) {
    events.push({
      type: 'IssueStatusChanged',
      data: { ...ref, status: input.status, previousStatus: state.status },
    });
  }
  if (input.priority !== undefined && input.priority !== state.priority) {
    events.push({
      type: 'IssuePriorityChanged',
      data: { ...ref, priority: input.priority, previousPriority: state.priority },
    });
  }
  if (input.dueDate !== undefined && input.dueDate !== state.dueDate) {
    events.push({
      type: 'IssueDueDateChanged',
      data: { ...ref, dueDate: input.dueDate, previousDueDate: state.dueDate },
    });
  }
  if (input.labelIds !== undefined && !labelsUnchanged(input.labelIds, state.labelIds)) {
    events.push({
      type: 'IssueLabelsChanged',
      data: { ...ref, labelIds: input.labelIds, previousLabelIds: state.labelIds },
    });
  }
  const assignee = input.assigneeId;
  if (assignee === null && state.assigneeId !== null) {
    events.push({ type: 'IssueUnassigned', data: { ...ref, previousAssigneeId: state.assigneeId } });
  } else if (typeof assignee === 'string' && assignee !== state.assigneeId) {
    events.push({
      type: 'IssueAssigned',
      data: { ...ref, assigneeId: assignee, previousAssigneeId: state.assigneeId },
    });
  }
  return events;
};

const remove = (command: DeleteIssue, state: Issue): IssueEvent[] => {
  const role = requireVisible(command, state);
  if (!canManage(role) && state.createdBy !== command.metadata.actorId) {
    throw new ForbiddenError('only an owner, a manager or its creator may delete an issue');
  }
  const { issueId, projectId, organizationId } = state;
  return [{ type: 'IssueDeleted', data: { issueId, projectId, organizationId } }];
};

/** Who may delete may restore; restoring an issue that is not deleted changes nothing. */
const restore = (command: RestoreIssue, state: Issue): IssueEvent[] => {
  const role = visibleTo(command.context, 'issue');
  if (!state.exists) throw new NotFoundError('issue not found');
  if (!canManage(role) && state.createdBy !== command.metadata.actorId) {
    throw new ForbiddenError('only an owner, a manager or its creator may restore an issue');
  }
  if (!state.deleted) return [];
  // The issue travels whole with its restoration: everything the state holds but whether it exists, and but the
  // labels deleted while it was (when the handler says which labels exist).
  const {
    exists: _exists,
    deleted: _deleted,
    attachments: _attachments,
    comments: _comments,
    watch: _watch,
    ...issue
  } = state;
  const known = command.context.labelIds;
  const labelIds =
    known === undefined ? issue.labelIds : labelSet(issue.labelIds.filter((id) => known.has(id)));
  return [{ type: 'IssueRestored', data: { ...issue, labelIds } }];
};

const refOf = (state: Issue) => ({
  issueId: state.issueId,
  projectId: state.projectId,
  organizationId: state.organizationId,
});

/** Each mentioned member once, in the order first named. */
const mentionSet = (ids: readonly string[]): string[] => [...new Set(ids)];

const addComment = (command: AddComment, state: Issue): IssueEvent[] => {
  requireVisible(command, state);
  const { body } = validated({ body: commentBodyCheck(command.data.body) });
  if (state.comments.has(command.data.commentId)) throw new IllegalStateError('comment already exists');
  return [
    {
      type: 'CommentAdded',
      data: {
        ...refOf(state),
        commentId: command.data.commentId,
        authorId: command.metadata.actorId,
        body,
        mentionedIds: mentionSet(command.data.mentionedIds),
      },
    },
  ];
};

/** The live comment, or NotFoundError (an unknown, deleted or other issue's comment). */
const requireComment = (state: Issue, commentId: string) => {
  const comment = state.comments.get(commentId);
  if (comment === undefined) throw new NotFoundError('comment not found');
  return comment;
};

/** Only its author edits a comment; the same body again changes nothing. */
const editComment = (command: EditComment, state: Issue): IssueEvent[] => {
  requireVisible(command, state);
  const comment = requireComment(state, command.data.commentId);
  if (comment.authorId !== command.metadata.actorId)
    throw new ForbiddenError('only its author may edit a comment');
  const { body } = validated({ body: commentBodyCheck(command.data.body) });
  if (body === comment.body) return [];
  return [
    {
      type: 'CommentEdited',
      data: {
        ...refOf(state),
        commentId: command.data.commentId,
        body,
        previousBody: comment.body,
        mentionedIds: mentionSet(command.data.mentionedIds),
        previousMentionedIds: comment.mentionedIds,
      },
    },
  ];
};

/** Its author, an owner or a manager deletes a comment. */
const deleteComment = (command: DeleteComment, state: Issue): IssueEvent[] => {
  const role = requireVisible(command, state);
  const comment = requireComment(state, command.data.commentId);
  if (comment.authorId !== command.metadata.actorId && !canManage(role))
    throw new ForbiddenError('only its author, an owner or a manager may delete a comment');
  return [
    {
      type: 'CommentDeleted',
      data: { ...refOf(state), commentId: command.data.commentId, authorId: comment.authorId },
    },
  ];
};

/** Watching what one watches (or unwatching what one explicitly unwatched) changes nothing. */
const watch = (command: WatchIssue | UnwatchIssue, state: Issue): IssueEvent[] => {
  requireVisible(command, state);
  const userId = command.metadata.actorId;
  const watching = command.type === 'WatchIssue';
  if (state.watch.get(userId) === watching) return [];
  return [{ type: watching ? 'IssueWatched' : 'IssueUnwatched', data: { ...refOf(state), userId } }];
};

/**
 * Checks run in one order everywhere: visibility (NotFound), permission (Forbidden),
 * input (Validation, every refused field at once), current state (IllegalState), then "nothing to change" ([]).
 * Each single-field command is the PATCH of that one field, so both paths share the same rules.
 */
export const decide = (command: IssueCommand, state: Issue): IssueEvent[] => {
  switch (command.type) {
    case 'CreateIssue':
      return create(command, state);
    case 'ChangeIssueTitle':
      return change(command, { title: command.data.title }, state);
    case 'ChangeIssueDescription':
      return change(command, { description: command.data.description }, state);
    case 'ChangeIssueStatus':
      return change(command, { status: command.data.status }, state);
    case 'ChangeIssuePriority':
      return change(command, { priority: command.data.priority }, state);
    case 'ChangeIssueDueDate':
      return change(command, { dueDate: command.data.dueDate }, state);
    case 'AssignIssue':
      return change(command, { assigneeId: command.data.assigneeId }, state);
    case 'UnassignIssue':
      return change(command, { assigneeId: null }, state);
    case 'UpdateIssue':
      return change(command, command.data, state);
    case 'DeleteIssue':
      return remove(command, state);
    case 'RestoreIssue':
      return restore(command, state);
    case 'AddComment':
      return addComment(command, state);
    case 'EditComment':
      return editComment(command, state);
    case 'DeleteComment':
      return deleteComment(command, state);
    case 'WatchIssue':
    case 'UnwatchIssue':
      return watch(command, state);
    case 'AddAttachment':
      return addAttachment(command, state);
    case 'RemoveAttachment':
      return removeAttachment(command, state);
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
};

export const issueDecider: Decider<IssueCommand, IssueEvent, Issue> = { decide, evolve, initialState };

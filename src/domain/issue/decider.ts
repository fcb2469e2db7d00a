import { canManage, visibleTo } from '../shared/access';
import type { Decider } from '../shared/decider';
import { ForbiddenError, IllegalStateError, NotFoundError } from '../shared/errors';
import { ifGiven, orDefault, validated } from '../shared/validation';
import type { CreateIssue, DeleteIssue, IssueCommand, IssuePatch, RestoreIssue } from './commands';
import { addAttachment, removeAttachment } from './attachments';
import type { IssueEvent } from './events';
import {
  assigneeCheck,
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
  const { exists: _exists, deleted: _deleted, attachments: _attachments, ...issue } = state;
  const known = command.context.labelIds;
  const labelIds =
    known === undefined ? issue.labelIds : labelSet(issue.labelIds.filter((id) => known.has(id)));
  return [{ type: 'IssueRestored', data: { ...issue, labelIds } }];
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

import type { IssueEvent, IssueFields, IssueRef } from './events';

export interface Issue extends IssueRef, IssueFields {
  exists: boolean;
  /** A deleted issue stays in its stream but answers every command as if it did not exist. */
  deleted: boolean;
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
});

/** The issue as an event that carries all of it (its creation, its restoration) describes it. */
const recorded = (data: IssueRef & IssueFields): Issue => ({
  exists: true,
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
});

export const evolve = (state: Issue, event: IssueEvent): Issue => {
  switch (event.type) {
    case 'IssueCreated':
      return recorded(event.data);
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
      return recorded(event.data);
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
};

import type { IssueEvent, IssuePriority, IssueStatus } from './events';

export interface Issue {
  exists: boolean;
  /** A deleted issue stays in its stream but answers every command as if it did not exist. */
  deleted: boolean;
  issueId: string;
  projectId: string;
  organizationId: string;
  title: string;
  description: string;
  status: IssueStatus;
  priority: IssuePriority;
  dueDate: string | null;
  assigneeId: string | null;
  createdBy: string;
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
});

export const evolve = (state: Issue, event: IssueEvent): Issue => {
  switch (event.type) {
    case 'IssueCreated': {
      const { data } = event;
      return {
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
      };
    }
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
    case 'IssueAssigned':
      return { ...state, assigneeId: event.data.assigneeId };
    case 'IssueUnassigned':
      return { ...state, assigneeId: null };
    case 'IssueDeleted':
      return { ...state, deleted: true };
    case 'IssueRestored': {
      const { data } = event;
      return {
        ...state,
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
      };
    }
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
};

import type { IssueEvent, IssueFields, IssueRef } from './events';

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
});

/** The issue as an event that carries all of it (its creation, its restoration) describes it. */
const recorded = (data: IssueRef & IssueFields, attachments: Issue['attachments'] = {}): Issue => ({
  exists: true,
  attachments,
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
      return recorded(event.data, state.attachments);
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

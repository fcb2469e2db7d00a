import type { IssuePriority, IssueStatus } from '../../domain';
import { userRef } from '../users/usernames';
import type { IssueRecord } from './record';

export interface UserRef {
  id: string;
  username: string | null;
}

/** `GET /issues/{id}/`, also the `issue` of realtime messages. */
export interface IssueView {
  id: string;
  project: string;
  title: string;
  description: string;
  status: IssueStatus;
  priority: IssuePriority;
  due_date: string | null;
  assigned_to: UserRef | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export const issueView = (
  { state, createdAt, updatedAt }: IssueRecord,
  usernames: ReadonlyMap<string, string>,
): IssueView => ({
  id: state.issueId,
  project: state.projectId,
  title: state.title,
  description: state.description,
  status: state.status,
  priority: state.priority,
  due_date: state.dueDate,
  assigned_to: userRef(state.assigneeId, usernames),
  created_by: state.createdBy,
  created_at: createdAt,
  updated_at: updatedAt,
});

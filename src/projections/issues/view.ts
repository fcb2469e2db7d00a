import type { IssuePriority, IssueStatus } from '../../domain';
import type { AttachmentView } from '../attachments/record';
import type { LabelRecord, LabelRef } from '../labels/record';
import { shownLabels } from '../labels/record';
import { userRef } from '../users/usernames';
import type { IssueRecord } from './record';

/** Labels by id, deleted ones marked: what a view needs to name an issue's labels. */
export type LabelLookup = ReadonlyMap<string, LabelRecord | (LabelRef & { deleted: boolean })>;

export interface UserRef {
  id: string;
  username: string | null;
}

/** `GET /issues/{id}/`, also the `issue` of realtime messages. */
export interface IssueView {
  id: string;
  /** `WEB-12`; null until its project's issues are numbered (a project from before numbering, until a rebuild). */
  key: string | null;
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
  /** By name (case-insensitive), then id; deleted labels are left out at once. */
  labels: LabelRef[];
  /** Its live comments. */
  comment_count: number;
  /**
   * Whether the caller watches it; null in a room's messages, which every member of the room shares (a client
   * reads its own from REST).
   */
  watching: boolean | null;
  /** Live attachments, oldest first. */
  attachments: AttachmentView[];
}

export const issueView = (
  { state, createdAt, updatedAt, key, commentCount, attachments }: IssueRecord,
  usernames: ReadonlyMap<string, string>,
  labels: LabelLookup = new Map(),
  /** The caller, when the record was folded from the whole stream (so its watch map is complete). */
  viewerId?: string,
): IssueView => ({
  id: state.issueId,
  key,
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
  labels: shownLabels(state.labelIds, labels),
  comment_count: commentCount,
  watching: viewerId === undefined ? null : state.watch.get(viewerId) === true,
  attachments: attachments ?? [],
});

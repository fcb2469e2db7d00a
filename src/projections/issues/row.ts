import type { IssuePriority, IssueStatus } from '../../domain';
import { isoTime } from '../shared/sql';
import type { IssueView } from './view';

/** An issue as the queries select it (see `issueSelect`). */
export interface IssueRow {
  id: string;
  project_id: string;
  title: string;
  description: string;
  status: IssueStatus;
  priority: IssuePriority;
  due_text: string | null;
  assignee_id: string | null;
  assignee_username: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  revision: number;
}

/** The columns of `IssueRow` over an issues relation aliased `alias` (the assignee's name by index lookup). */
export const issueSelect = (alias: string): string =>
  `${alias}.id, ${alias}.project_id, ${alias}.title, ${alias}.description, ${alias}.status, ${alias}.priority,
   to_char(${alias}.due_date, 'YYYY-MM-DD') AS due_text, ${alias}.assignee_id,
   (SELECT u.username FROM users AS u WHERE u.id = ${alias}.assignee_id) AS assignee_username,
   ${alias}.created_by, ${alias}.created_at, ${alias}.updated_at, ${alias}.revision`;

export const issueFromRow = (row: IssueRow): IssueView => ({
  id: row.id,
  project: row.project_id,
  title: row.title,
  description: row.description,
  status: row.status,
  priority: row.priority,
  due_date: row.due_text,
  assigned_to: row.assignee_id === null ? null : { id: row.assignee_id, username: row.assignee_username },
  created_by: row.created_by,
  created_at: isoTime(row.created_at),
  updated_at: isoTime(row.updated_at),
});

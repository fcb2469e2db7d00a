import type { IssuePriority, IssueStatus } from '../../domain';
import type { AttachmentView } from '../attachments/record';
import type { LabelRef } from '../labels/record';
import { isUuid } from '../shared/ids';
import { isoTime } from '../shared/sql';
import type { IssueView } from './view';

/** An issue as the queries select it (see `issueSelect`). */
export interface IssueRow {
  id: string;
  key: string | null;
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
  labels: LabelRef[];
  comment_count: number;
  watching: boolean;
  attachments: AttachmentView[];
}

/**
 * The columns of `IssueRow` over an issues relation aliased `alias`: the assignee's name by index lookup, the
 * labels joined by id at read time (a rename shows everywhere at once; a deleted label is gone at once), in the
 * order `byName` sorts them. `viewer` is the viewing user's id, written into the text, or a column holding it (a
 * statement prepared once for every viewer).
 */
export const issueSelect = (alias: string, viewer: string | { column: string }): string => {
  // The viewer comes from a verified token; it is checked to be a UUID before it is written into the SQL.
  if (typeof viewer === 'string' && !isUuid(viewer)) throw new Error('the viewer must be a user id');
  const viewerId = typeof viewer === 'string' ? `'${viewer}'::uuid` : viewer.column;
  return `${alias}.id, ${alias}.key, ${alias}.project_id, ${alias}.title, ${alias}.description, ${alias}.status,
   ${alias}.priority, to_char(${alias}.due_date, 'YYYY-MM-DD') AS due_text, ${alias}.assignee_id,
   (SELECT u.username FROM users AS u WHERE u.id = ${alias}.assignee_id) AS assignee_username,
   ${alias}.created_by, ${alias}.created_at, ${alias}.updated_at, ${alias}.revision,
   (SELECT coalesce(jsonb_agg(jsonb_build_object('id', l.id, 'name', l.name, 'color', l.color)
                              ORDER BY lower(l.name) COLLATE "C", l.id), '[]'::jsonb)
    FROM labels AS l WHERE l.id = ANY(${alias}.label_ids) AND NOT l.deleted) AS labels,
   ${alias}.comment_count,
   EXISTS (SELECT 1 FROM issue_watchers AS w
           WHERE w.issue_id = ${alias}.id AND w.user_id = ${viewerId} AND w.watching) AS watching,
   (SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'filename', a.filename,
                                                 'content_type', a.content_type, 'size', a.size,
                                                 'sha256', a.sha256, 'uploaded_by', a.uploaded_by,
                                                 'uploaded_at', to_char(a.uploaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                                 'url', '/api/v1/attachments/' || a.id || '/content/')
                              ORDER BY a.uploaded_at, a.id), '[]'::jsonb)
    FROM attachments AS a WHERE a.issue_id = ${alias}.id AND a.removed_at IS NULL) AS attachments`;
};

export const issueFromRow = (row: IssueRow): IssueView => ({
  id: row.id,
  key: row.key,
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
  labels: row.labels,
  comment_count: row.comment_count,
  watching: row.watching,
  attachments: row.attachments,
});

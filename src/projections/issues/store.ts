import type { IssuePriority, IssueStatus } from '../../domain';
import { issueDecider } from '../../domain';
import {
  arrayParam,
  dateText,
  direct,
  ident,
  insertRows,
  isoTime,
  type RowsWhereAny,
  recordset,
  type Writer,
} from '../shared/sql';
import type { IssueRecord } from './record';

interface Tables {
  issues: string;
  tombstones: string;
}

/** An issue's row as a batch reads it (its times as `Date`s, or as strings when read through JSON). */
export interface IssueRow {
  id: string;
  project_id: string;
  organization_id: string;
  title: string;
  description: string;
  status: IssueStatus;
  priority: IssuePriority;
  due_date: string | null;
  assignee_id: string | null;
  created_by: string;
  created_at: Date | string;
  updated_at: Date | string;
  revision: number;
  number: number | null;
  key: string | null;
  label_ids: string[];
  comment_count: number;
}

const fromRow = (row: IssueRow): IssueRecord => ({
  state: {
    exists: true,
    deleted: false,
    issueId: row.id,
    projectId: row.project_id,
    organizationId: row.organization_id,
    title: row.title,
    description: row.description,
    status: row.status,
    priority: row.priority,
    dueDate: row.due_date,
    assigneeId: row.assignee_id,
    createdBy: row.created_by,
    labelIds: row.label_ids,
    comments: new Map(),
    watch: new Map(),
    // The read model keeps attachments in their own table; the issue record needs only its fields.
    attachments: {},
  },
  createdAt: isoTime(row.created_at),
  updatedAt: isoTime(row.updated_at),
  revision: row.revision,
  number: row.number,
  key: row.key,
  commentCount: row.comment_count,
});

/** A deleted issue's tombstone as a batch reads it. */
export interface TombstoneRow {
  id: string;
  revision: number;
  created_at: Date | string | null;
  number: number | null;
  key: string | null;
  comment_count: number;
}

/**
 * Its revision, creation time, number and key survive a deletion: enough to refuse replays, and to restore it
 * (the restore event carries the fields; the number is never given to another issue).
 */
const tombstone = (row: TombstoneRow): IssueRecord => ({
  state: { ...issueDecider.initialState(), exists: true, deleted: true, issueId: row.id },
  createdAt: row.created_at === null ? '' : isoTime(row.created_at),
  updatedAt: '',
  revision: row.revision,
  number: row.number,
  key: row.key,
  commentCount: row.comment_count,
});

/**
 * What a batch reads of the issues it touches, live rows and tombstones of deleted ones: for `rowsWhereAnyOf`,
 * beside the other tables it reads.
 */
export const issuesToLoad = (
  tables: Tables,
  ids: readonly string[],
): { issues: RowsWhereAny; tombstones: RowsWhereAny } => ({
  issues: {
    table: tables.issues,
    columns: `id, project_id, organization_id, title, description, status, priority,
       ${dateText('due_date')} AS due_date, assignee_id, created_by, created_at, updated_at, revision, number, key,
       label_ids::text[] AS label_ids, comment_count`,
    column: 'id',
    values: ids,
  },
  tombstones: {
    table: tables.tombstones,
    columns: 'id, revision, created_at, number, key, comment_count',
    column: 'id',
    values: ids,
  },
});

/** The issues a batch touches as they are before it, from the rows `issuesToLoad` read. */
export const issueRecords = (
  rows: readonly IssueRow[],
  gone: readonly TombstoneRow[],
): Map<string, IssueRecord> =>
  new Map([
    ...gone.map((row) => [row.id, tombstone(row)] as const),
    ...rows.map((row) => [row.id, fromRow(row)] as const),
  ]);

const ISSUE_COLUMN_TYPES = {
  id: 'uuid',
  project_id: 'uuid',
  organization_id: 'uuid',
  title: 'text',
  description: 'text',
  status: 'text',
  priority: 'text',
  due_date: 'date',
  assignee_id: 'uuid',
  created_by: 'uuid',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  revision: 'integer',
  number: 'integer',
  key: 'text',
  label_ids: 'uuid[]',
  comment_count: 'integer',
};

const toRow = ({ state, createdAt, updatedAt, revision, number, key, commentCount }: IssueRecord) => ({
  id: state.issueId,
  project_id: state.projectId,
  organization_id: state.organizationId,
  title: state.title,
  description: state.description,
  status: state.status,
  priority: state.priority,
  due_date: state.dueDate,
  assignee_id: state.assigneeId,
  created_by: state.createdBy,
  created_at: createdAt,
  updated_at: updatedAt,
  revision,
  number,
  key,
  label_ids: state.labelIds,
  comment_count: commentCount,
});

/**
 * Two statements for the whole batch: one upsert of live issues, one deletion (with tombstones); a third when the
 * batch restored issues (their tombstones go).
 */
export const saveIssues = async (
  writer: Writer,
  tables: Tables,
  records: readonly IssueRecord[],
  restored: readonly string[] = [],
) => {
  const live = records.filter((r) => !r.state.deleted);
  const deleted = records.filter((r) => r.state.deleted);
  await insertRows(
    writer,
    tables.issues,
    ISSUE_COLUMN_TYPES,
    live.map(toRow),
    `ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description,
       status = excluded.status, priority = excluded.priority, due_date = excluded.due_date,
       assignee_id = excluded.assignee_id, label_ids = excluded.label_ids, updated_at = excluded.updated_at,
       comment_count = excluded.comment_count,
       revision = excluded.revision
       WHERE t.revision < excluded.revision`,
  );
  if (deleted.length > 0) {
    const trx = await direct(writer);
    await trx.raw(
      `WITH gone AS (
         SELECT * FROM jsonb_to_recordset(?::jsonb)
           AS r(id uuid, revision integer, created_at timestamptz, project_id uuid, number integer, key text,
                comment_count integer)
       ),
       kept AS (
         INSERT INTO ${ident(tables.tombstones)} AS t (id, revision, created_at, project_id, number, key,
           comment_count)
         SELECT id, revision, created_at, project_id, number, key, comment_count FROM gone
         ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, created_at = excluded.created_at,
           project_id = excluded.project_id, number = excluded.number, key = excluded.key,
           comment_count = excluded.comment_count
           WHERE t.revision < excluded.revision
       )
       DELETE FROM ${ident(tables.issues)} WHERE id IN (SELECT id FROM gone)`,
      [
        recordset(
          deleted.map((r) => ({
            id: r.state.issueId,
            revision: r.revision,
            created_at: r.createdAt || null,
            project_id: r.state.projectId || null,
            number: r.number,
            key: r.key,
            comment_count: r.commentCount,
          })),
        ),
      ],
    );
  }
  const back = restored.filter((id) => live.some((r) => r.state.issueId === id));
  if (back.length > 0) {
    const trx = await direct(writer);
    await trx.raw(`DELETE FROM ${ident(tables.tombstones)} WHERE id = ANY(?::uuid[])`, [arrayParam(back)]);
  }
};

import type { Knex } from 'knex';
import { arrayParam, ident, insertRows, isoTime, type RowsWhereAny, type Writer } from '../shared/sql';
import type { CommentRecord } from './record';

/** A comment's row as a batch reads it (its times as `Date`s, or as strings when read through JSON). */
export interface CommentRow {
  id: string;
  issue_id: string;
  project_id: string;
  organization_id: string;
  author_id: string;
  body: string;
  mentioned_ids: string[];
  position: string;
  created_at: Date | string;
  edited_at: Date | string | null;
  deleted: boolean;
  revision: number;
}

const fromRow = (row: CommentRow): CommentRecord => ({
  id: row.id,
  issueId: row.issue_id,
  projectId: row.project_id,
  organizationId: row.organization_id,
  authorId: row.author_id,
  body: row.body,
  mentionedIds: row.mentioned_ids,
  position: row.position,
  createdAt: isoTime(row.created_at),
  editedAt: row.edited_at === null ? null : isoTime(row.edited_at),
  deleted: row.deleted,
  revision: row.revision,
});

/** What a batch reads of the comments it touches: for `rowsWhereAnyOf`, beside the other tables it reads. */
export const commentsToLoad = (table: string, ids: readonly string[]): RowsWhereAny => ({
  table,
  columns: `id, issue_id, project_id, organization_id, author_id, body, mentioned_ids::text[] AS mentioned_ids,
     position, created_at, edited_at, deleted, revision`,
  column: 'id',
  values: ids,
});

/** The comments a batch touches, as they are before it, from the rows `commentsToLoad` read. */
export const commentRecords = (rows: readonly CommentRow[]): Map<string, CommentRecord> =>
  new Map(rows.map((row) => [row.id, fromRow(row)] as const));

const COLUMN_TYPES = {
  id: 'uuid',
  issue_id: 'uuid',
  project_id: 'uuid',
  organization_id: 'uuid',
  author_id: 'uuid',
  body: 'text',
  mentioned_ids: 'uuid[]',
  position: 'text',
  created_at: 'timestamptz',
  edited_at: 'timestamptz',
  deleted: 'boolean',
  revision: 'integer',
};

/** One upsert for the batch; a row already past the record's revision is left as it is. */
export const saveComments = (trx: Writer, table: string, records: readonly CommentRecord[]) =>
  insertRows(
    trx,
    table,
    COLUMN_TYPES,
    records.map((r) => ({
      id: r.id,
      issue_id: r.issueId,
      project_id: r.projectId,
      organization_id: r.organizationId,
      author_id: r.authorId,
      body: r.body,
      mentioned_ids: r.mentionedIds,
      position: r.position,
      created_at: r.createdAt,
      edited_at: r.editedAt,
      deleted: r.deleted,
      revision: r.revision,
    })),
    `ON CONFLICT (id) DO UPDATE SET body = excluded.body, mentioned_ids = excluded.mentioned_ids,
       edited_at = excluded.edited_at, deleted = excluded.deleted, revision = excluded.revision
       WHERE t.revision < excluded.revision`,
  );

/** Each issue's watch map as the table has it before the batch: issue → (user → watching). */
export const loadWatchers = async (
  trx: Knex.Transaction,
  table: string,
  issueIds: readonly string[],
): Promise<Map<string, Map<string, boolean>>> => {
  const watchers = new Map<string, Map<string, boolean>>(issueIds.map((id) => [id, new Map()]));
  if (issueIds.length === 0) return watchers;
  const { rows } = await trx.raw<{ rows: { issue_id: string; user_id: string; watching: boolean }[] }>(
    `SELECT issue_id, user_id, watching FROM ${ident(table)} WHERE issue_id = ANY(?::uuid[])`,
    [arrayParam(issueIds)],
  );
  for (const row of rows) watchers.get(row.issue_id)?.set(row.user_id, row.watching);
  return watchers;
};

/** The (issue, user) pairs the batch changed, as they are after it: one upsert. */
export const saveWatchers = (
  trx: Writer,
  table: string,
  changed: readonly { issueId: string; userId: string; watching: boolean }[],
) =>
  insertRows(
    trx,
    table,
    { issue_id: 'uuid', user_id: 'uuid', watching: 'boolean' },
    changed.map((c) => ({ issue_id: c.issueId, user_id: c.userId, watching: c.watching })),
    'ON CONFLICT (issue_id, user_id) DO UPDATE SET watching = excluded.watching',
  );

import type { Knex } from 'knex';
import { ident, insertRows, isoTime, preparedRaw, recordset, rowsWithIds } from '../shared/sql';
import type { ProjectRecord } from './record';
import { PROJECT_COLUMN_TYPES, PROJECT_COLUMNS, type ProjectRow } from './row';

/** The projects a batch touches, as they are before it. */
export const loadProjects = async (
  trx: Knex.Transaction,
  table: string,
  ids: readonly string[],
): Promise<Map<string, ProjectRecord>> => {
  const rows = await rowsWithIds<ProjectRow & { revision: number; last_issue_number: number | null }>(
    trx,
    table,
    `${PROJECT_COLUMNS}, revision, last_issue_number`,
    ids,
  );
  return new Map(
    rows.map((row) => [
      row.id,
      {
        state: {
          exists: true,
          projectId: row.id,
          organizationId: row.organization_id,
          name: row.name,
          description: row.description,
          key: row.key ?? '',
          archived: row.archived,
        },
        createdAt: isoTime(row.created_at),
        updatedAt: isoTime(row.updated_at),
        revision: row.revision,
        lastIssueNumber: row.last_issue_number,
      },
    ]),
  );
};

const toRow = ({ state, createdAt, updatedAt, revision, lastIssueNumber }: ProjectRecord) => ({
  id: state.projectId,
  organization_id: state.organizationId,
  name: state.name,
  description: state.description,
  created_at: createdAt,
  updated_at: updatedAt,
  archived: state.archived,
  key: state.key || null,
  revision,
  last_issue_number: lastIssueNumber,
});

/** A row already at or past a record's revision is left alone. The key is the creation's: never updated. */
const KEEP_NEWER = `ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
  updated_at = excluded.updated_at, archived = excluded.archived, revision = excluded.revision
  WHERE t.revision < excluded.revision`;

/**
 * One upsert for the whole batch; then, when the batch numbered issues, one update of the counts, which issue
 * creations move without a project event (only ever forwards, and never from an unknown count).
 */
export const saveProjects = async (
  trx: Knex.Transaction,
  table: string,
  records: readonly ProjectRecord[],
  numbered: readonly ProjectRecord[] = [],
) => {
  await insertRows(trx, table, PROJECT_COLUMN_TYPES, records.map(toRow), KEEP_NEWER);
  if (numbered.length === 0) return;
  await preparedRaw(
    trx,
    `UPDATE ${ident(table)} AS t SET last_issue_number = r.last_issue_number
     FROM jsonb_to_recordset(?::jsonb) AS r(id uuid, last_issue_number integer)
     WHERE t.id = r.id AND t.last_issue_number < r.last_issue_number`,
    [recordset(numbered.map((p) => ({ id: p.state.projectId, last_issue_number: p.lastIssueNumber })))],
  );
};

import { ident, insertRows, isoTime, type RowsWhereAny, recordset, type Writer, write } from '../shared/sql';
import type { ProjectRecord } from './record';
import { PROJECT_COLUMN_TYPES, PROJECT_COLUMNS, type ProjectRow } from './row';

/** A project's row as a batch reads it (its times as `Date`s, or as strings when read through JSON). */
export type LoadedProjectRow = Omit<ProjectRow, 'created_at' | 'updated_at'> & {
  created_at: Date | string;
  updated_at: Date | string;
  revision: number;
  last_issue_number: number | null;
};

/** What a batch reads of the projects it touches: for `rowsWhereAnyOf`, beside the other tables it reads. */
export const projectsToLoad = (table: string, ids: readonly string[]): RowsWhereAny => ({
  table,
  columns: `${PROJECT_COLUMNS}, revision, last_issue_number`,
  column: 'id',
  values: ids,
});

/** The projects a batch touches, as they are before it, from the rows `projectsToLoad` read. */
export const projectRecords = (rows: readonly LoadedProjectRow[]): Map<string, ProjectRecord> =>
  new Map(
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
  trx: Writer,
  table: string,
  records: readonly ProjectRecord[],
  numbered: readonly ProjectRecord[] = [],
) => {
  await insertRows(trx, table, PROJECT_COLUMN_TYPES, records.map(toRow), KEEP_NEWER);
  if (numbered.length === 0) return;
  await write(
    trx,
    table,
    `UPDATE ${ident(table)} AS t SET last_issue_number = r.last_issue_number
     FROM jsonb_to_recordset(?::jsonb) AS r(id uuid, last_issue_number integer)
     WHERE t.id = r.id AND t.last_issue_number < r.last_issue_number`,
    [recordset(numbered.map((p) => ({ id: p.state.projectId, last_issue_number: p.lastIssueNumber })))],
  );
};

import type { Knex } from 'knex';
import { insertRows, isoTime, rowsWithIds } from '../shared/sql';
import type { ProjectRecord } from './record';
import { PROJECT_COLUMN_TYPES, PROJECT_COLUMNS, type ProjectRow } from './row';

/** The projects a batch touches, as they are before it. */
export const loadProjects = async (
  trx: Knex.Transaction,
  table: string,
  ids: readonly string[],
): Promise<Map<string, ProjectRecord>> => {
  const rows = await rowsWithIds<ProjectRow & { revision: number }>(
    trx,
    table,
    `${PROJECT_COLUMNS}, revision`,
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
          archived: row.archived,
        },
        createdAt: isoTime(row.created_at),
        updatedAt: isoTime(row.updated_at),
        revision: row.revision,
      },
    ]),
  );
};

const toRow = ({ state, createdAt, updatedAt, revision }: ProjectRecord) => ({
  id: state.projectId,
  organization_id: state.organizationId,
  name: state.name,
  description: state.description,
  created_at: createdAt,
  updated_at: updatedAt,
  archived: state.archived,
  revision,
});

/** A row already at or past a record's revision is left alone. */
const KEEP_NEWER = `ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
  updated_at = excluded.updated_at, archived = excluded.archived, revision = excluded.revision
  WHERE t.revision < excluded.revision`;

/** One upsert for the whole batch. */
export const saveProjects = (trx: Knex.Transaction, table: string, records: readonly ProjectRecord[]) =>
  insertRows(trx, table, PROJECT_COLUMN_TYPES, records.map(toRow), KEEP_NEWER);

import type { Knex } from 'knex';
import { arrayParam, ident, isoTime, recordset } from '../shared/sql';
import type { ProjectRecord } from './record';

interface ProjectRow {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
  archived: boolean;
  revision: number;
}

export const loadProjects = async (
  trx: Knex.Transaction,
  table: string,
  ids: readonly string[],
): Promise<Map<string, ProjectRecord>> => {
  if (ids.length === 0) return new Map();
  const { rows } = await trx.raw<{ rows: ProjectRow[] }>(
    `SELECT id, organization_id, name, description, created_at, updated_at, archived, revision
     FROM ${ident(table)} WHERE id = ANY(?::uuid[])`,
    [arrayParam(ids)],
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

/** One upsert for the whole batch; a row already at or past a record's revision is left alone. */
export const saveProjects = async (
  trx: Knex.Transaction,
  table: string,
  records: readonly ProjectRecord[],
) => {
  if (records.length === 0) return;
  const rows = records.map(({ state, createdAt, updatedAt, revision }) => ({
    id: state.projectId,
    organization_id: state.organizationId,
    name: state.name,
    description: state.description,
    created_at: createdAt,
    updated_at: updatedAt,
    archived: state.archived,
    revision,
  }));
  await trx.raw(
    `INSERT INTO ${ident(table)} AS p
       (id, organization_id, name, description, created_at, updated_at, archived, revision)
     SELECT r.id, r.organization_id, r.name, r.description, r.created_at, r.updated_at, r.archived, r.revision
     FROM jsonb_to_recordset(?::jsonb) AS r(id uuid, organization_id uuid, name text, description text,
       created_at timestamptz, updated_at timestamptz, archived boolean, revision integer)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
       updated_at = excluded.updated_at, archived = excluded.archived, revision = excluded.revision
       WHERE p.revision < excluded.revision`,
    [recordset(rows)],
  );
};

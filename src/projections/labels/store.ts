import type { Knex } from 'knex';
import { insertRows, isoTime, rowsWithIds, type Writer } from '../shared/sql';
import type { LabelRecord } from './record';

interface LabelRow {
  id: string;
  organization_id: string;
  name: string;
  color: string;
  created_at: Date;
  updated_at: Date;
  deleted: boolean;
  revision: number;
}

const fromRow = (row: LabelRow): LabelRecord => ({
  id: row.id,
  organizationId: row.organization_id,
  name: row.name,
  color: row.color,
  createdAt: isoTime(row.created_at),
  updatedAt: isoTime(row.updated_at),
  deleted: row.deleted,
  revision: row.revision,
});

const COLUMNS = 'id, organization_id, name, color, created_at, updated_at, deleted, revision';

/** The labels with these ids (deleted ones too), by id. */
export const loadLabels = async (
  db: Knex,
  table: string,
  ids: Iterable<string>,
): Promise<Map<string, LabelRecord>> => {
  const rows = await rowsWithIds<LabelRow>(db, table, COLUMNS, [...new Set(ids)]);
  return new Map(rows.map((row) => [row.id, fromRow(row)]));
};

/** One upsert for the batch's labels, as they are at its end; a row at or past a record's revision stays. */
export const saveLabels = (trx: Writer, table: string, labels: readonly LabelRecord[]) =>
  insertRows(
    trx,
    table,
    {
      id: 'uuid',
      organization_id: 'uuid',
      name: 'text',
      color: 'text',
      created_at: 'timestamptz',
      updated_at: 'timestamptz',
      deleted: 'boolean',
      revision: 'integer',
    },
    labels.map((l) => ({
      id: l.id,
      organization_id: l.organizationId,
      name: l.name,
      color: l.color,
      created_at: l.createdAt,
      updated_at: l.updatedAt,
      deleted: l.deleted,
      revision: l.revision,
    })),
    `ON CONFLICT (id) DO UPDATE SET name = excluded.name, color = excluded.color,
       updated_at = excluded.updated_at, deleted = excluded.deleted, revision = excluded.revision
       WHERE t.revision < excluded.revision`,
  );

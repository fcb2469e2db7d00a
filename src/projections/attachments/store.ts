import type { Knex } from 'knex';
import { arrayParam, ident, insertRows, isoTime, type Writer } from '../shared/sql';
import type { AttachmentRecord } from './record';

export interface AttachmentRow {
  id: string;
  issue_id: string;
  project_id: string;
  organization_id: string;
  filename: string;
  content_type: string;
  detected_type: string | null;
  declared_type: string | null;
  size: string | number;
  sha256: string;
  storage_key: string;
  uploaded_by: string;
  uploaded_at: Date;
  removed_at: Date | null;
  revision: number;
}

export const ATTACHMENT_COLUMNS = `id, issue_id, project_id, organization_id, filename, content_type, detected_type,
  declared_type, size, sha256, storage_key, uploaded_by, uploaded_at, removed_at, revision`;

export const attachmentFromRow = (row: AttachmentRow): AttachmentRecord => ({
  id: row.id,
  issueId: row.issue_id,
  projectId: row.project_id,
  organizationId: row.organization_id,
  filename: row.filename,
  contentType: row.content_type,
  detectedType: row.detected_type,
  declaredType: row.declared_type,
  size: Number(row.size),
  sha256: row.sha256,
  storageKey: row.storage_key,
  uploadedBy: row.uploaded_by,
  uploadedAt: isoTime(row.uploaded_at),
  removedAt: row.removed_at === null ? null : isoTime(row.removed_at),
  revision: row.revision,
});

/** The live attachments of these issues, by id. */
export const liveAttachmentsOf = async (
  trx: Knex | Knex.Transaction,
  table: string,
  issueIds: readonly string[],
): Promise<Map<string, AttachmentRecord>> => {
  if (issueIds.length === 0) return new Map();
  const { rows } = await trx.raw<{ rows: AttachmentRow[] }>(
    `SELECT ${ATTACHMENT_COLUMNS} FROM ${ident(table)} WHERE issue_id = ANY(?::uuid[]) AND removed_at IS NULL`,
    [arrayParam(issueIds)],
  );
  return new Map(rows.map((row) => [row.id, attachmentFromRow(row)]));
};

/** One upsert for the batch's attachments as they are at its end; a row at or past a record's revision stays. */
export const saveAttachments = (trx: Writer, table: string, records: readonly AttachmentRecord[]) =>
  insertRows(
    trx,
    table,
    {
      id: 'uuid',
      issue_id: 'uuid',
      project_id: 'uuid',
      organization_id: 'uuid',
      filename: 'text',
      content_type: 'text',
      detected_type: 'text',
      declared_type: 'text',
      size: 'bigint',
      sha256: 'text',
      storage_key: 'text',
      uploaded_by: 'uuid',
      uploaded_at: 'timestamptz',
      removed_at: 'timestamptz',
      revision: 'integer',
    },
    records.map((a) => ({
      id: a.id,
      issue_id: a.issueId,
      project_id: a.projectId,
      organization_id: a.organizationId,
      filename: a.filename,
      content_type: a.contentType,
      detected_type: a.detectedType,
      declared_type: a.declaredType,
      size: a.size,
      sha256: a.sha256,
      storage_key: a.storageKey,
      uploaded_by: a.uploadedBy,
      uploaded_at: a.uploadedAt,
      removed_at: a.removedAt,
      revision: a.revision,
    })),
    `ON CONFLICT (id) DO UPDATE SET removed_at = excluded.removed_at, revision = excluded.revision
       WHERE t.revision < excluded.revision`,
  );

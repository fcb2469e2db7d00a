import type { Knex } from 'knex';
import type { Role } from '../../domain';
import { roleOf } from '../organizations/roles';
import { encodeCursor } from '../shared/cursor';
import { isUuid } from '../shared/ids';
import { lookupById } from '../shared/lookup';
import type { Page, PageRequest } from '../shared/page';
import { readPageRequest, toPage } from '../shared/page';
import { arrayParam, isoTime, timeText } from '../shared/sql';
import type { AttachmentRecord, AttachmentView } from './record';
import { attachmentView } from './record';
import { ATTACHMENT_COLUMNS, type AttachmentRow, attachmentFromRow } from './store';

export type { AttachmentRecord, AttachmentView } from './record';

const listKey = (key: ReadonlyArray<unknown>) =>
  key.length === 2 && typeof key[0] === 'string' && key[0].length <= 40 && isUuid(key[1]);

/**
 * `GET /issues/{id}/attachments/`: the issue's live attachments, oldest first, by keyset pages; null when the issue
 * does not exist (or was deleted) or the viewer is not a member of its organization.
 */
export const listAttachments = async (
  db: Knex,
  issueId: string,
  viewerId: string,
  request: PageRequest = {},
): Promise<Page<AttachmentView> | null> => {
  const { limit, after } = readPageRequest(request, 'attachments', listKey);
  if (!isUuid(issueId) || !isUuid(viewerId)) return null;
  const issue = await db('issues').select('organization_id').where({ id: issueId }).first();
  if (issue === undefined || (await roleOf(db, issue.organization_id, viewerId)) === null) return null;
  const { rows } = await db.raw<{ rows: (AttachmentRow & { uploaded_key: string })[] }>(
    `SELECT ${ATTACHMENT_COLUMNS}, ${timeText('uploaded_at')} AS uploaded_key FROM attachments
     WHERE issue_id = ?::uuid AND removed_at IS NULL
       ${after ? 'AND (uploaded_at, id) > (?::timestamptz, ?::uuid)' : ''}
     ORDER BY uploaded_at, id
     LIMIT ?`,
    [issueId, ...(after ? [after[0]!, after[1]!] : []), limit + 1],
  );
  return toPage(
    rows,
    limit,
    (row) => attachmentView(attachmentFromRow(row)),
    (row) => encodeCursor({ ordering: 'attachments', key: [row.uploaded_key, row.id] }),
  );
};

/**
 * A live attachment of a live issue, with the viewer's role in its organization; null when there is no such
 * attachment (or it was removed, or its issue deleted) or the viewer is not a member.
 */
export const attachmentAccess = lookupById(
  async (db, attachmentId, viewerId): Promise<{ attachment: AttachmentRecord; role: Role } | null> => {
    const { rows } = await db.raw<{ rows: AttachmentRow[] }>(
      `SELECT ${ATTACHMENT_COLUMNS} FROM attachments AS a
       WHERE a.id = ?::uuid AND a.removed_at IS NULL
         AND EXISTS (SELECT 1 FROM issues AS i WHERE i.id = a.issue_id)`,
      [attachmentId],
    );
    const row = rows[0];
    if (row === undefined) return null;
    const role = await roleOf(db, row.organization_id, viewerId);
    return role === null ? null : { attachment: attachmentFromRow(row), role };
  },
);

/**
 * Of these storage keys, those some attachment still needs: a live one, or one removed at or after `removedSince`
 * (its retention period is not over). The cleanup job deletes the bytes of the others.
 */
export const storageKeysInUse = async (
  db: Knex,
  keys: readonly string[],
  removedSince: Date,
): Promise<Set<string>> => {
  if (keys.length === 0) return new Set();
  const { rows } = await db.raw<{ rows: { storage_key: string }[] }>(
    `SELECT DISTINCT storage_key FROM attachments
     WHERE storage_key = ANY(?::text[]) AND (removed_at IS NULL OR removed_at >= ?::timestamptz)`,
    [arrayParam(keys), isoTime(removedSince)],
  );
  return new Set(rows.map((r) => r.storage_key));
};

import type { Knex } from 'knex';
import type { Role } from '../../domain';
import { roleOf } from '../organizations/roles';
import { encodeCursor } from '../shared/cursor';
import { isUuid } from '../shared/ids';
import { lookupById } from '../shared/lookup';
import type { Page, PageRequest } from '../shared/page';
import { readPageRequest, toPage } from '../shared/page';
import type { LabelRef } from './record';

export type { LabelRef } from './record';

const labelKey = (key: ReadonlyArray<unknown>) =>
  key.length === 2 && typeof key[0] === 'string' && key[0].length <= 1024 && isUuid(key[1]);

/**
 * `GET /organizations/{id}/labels/`: the organization's labels by name (case-insensitive, byte order), then id, by
 * keyset pages; null unless the viewer is a member.
 */
export const listLabels = async (
  db: Knex,
  organizationId: string,
  viewerId: string,
  request: PageRequest = {},
): Promise<Page<LabelRef> | null> => {
  const { limit, after } = readPageRequest(request, 'labels', labelKey);
  if (!isUuid(organizationId) || (await roleOf(db, organizationId, viewerId)) === null) return null;
  const { rows } = await db.raw<{ rows: (LabelRef & { name_key: string })[] }>(
    `SELECT id, name, color, lower(name) COLLATE "C" AS name_key FROM labels
     WHERE organization_id = ?::uuid AND NOT deleted
       ${after ? 'AND (lower(name) COLLATE "C", id) > (?::text COLLATE "C", ?::uuid)' : ''}
     ORDER BY lower(name) COLLATE "C", id
     LIMIT ?`,
    [organizationId, ...(after ? [after[0]!, after[1]!] : []), limit + 1],
  );
  return toPage(
    rows,
    limit,
    ({ id, name, color }) => ({ id, name, color }),
    (r) => encodeCursor({ ordering: 'labels', key: [r.name_key, r.id] }),
  );
};

/** Where a label belongs and the viewer's role there; null when there is no such label (or it was deleted) or the viewer is not a member. */
export const labelAccess = lookupById(
  async (db, labelId, viewerId): Promise<{ organizationId: string; role: Role; label: LabelRef } | null> => {
    const row = (await db('labels')
      .select('id', 'name', 'color', 'organization_id')
      .where({ id: labelId, deleted: false })
      .first()) as (LabelRef & { organization_id: string }) | undefined;
    if (row === undefined) return null;
    const role = await roleOf(db, row.organization_id, viewerId);
    if (role === null) return null;
    return {
      organizationId: row.organization_id,
      role,
      label: { id: row.id, name: row.name, color: row.color },
    };
  },
);

import type { Knex } from 'knex';
import { parseIssueKey } from '../../domain';
import { isUuid } from '../shared/ids';
import type { IssueWithRevision } from './get';
import type { IssueRow } from './row';
import { issueFromRow, issueSelect } from './row';

/**
 * The keys of issues, deleted ones too (tombstones keep theirs): no event records a key, the read model gave it
 * when it applied the creation, and it never changes, so history and `as_of` take it from here.
 */
export const issueKeys = async (db: Knex, ids: readonly string[]): Promise<Map<string, string>> => {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return new Map();
  const { rows } = await db.raw<{ rows: { id: string; key: string }[] }>(
    `SELECT id, key FROM issues WHERE id = ANY(?::uuid[]) AND key IS NOT NULL
     UNION ALL SELECT id, key FROM issue_tombstones WHERE id = ANY(?::uuid[]) AND key IS NOT NULL`,
    [`{${valid.join(',')}}`, `{${valid.join(',')}}`],
  );
  return new Map(rows.map((r) => [r.id, r.key]));
};

/** What `GET /issues/{key}/` finds: the issue, nothing, or one issue in each of several of the viewer's organizations. */
export type KeyLookup =
  | { found: IssueWithRevision }
  | { found: null }
  | { ambiguous: { id: string; organization: string }[] };

/**
 * The issue with this key (any case) in the viewer's organizations, or in the one `organizationId` names. Keys
 * are unique in an organization; two of the viewer's organizations may both have a `WEB-12`, and then the answer
 * names both rather than pick one.
 */
export const issueByKey = async (
  db: Knex,
  key: string,
  viewerId: string,
  organizationId?: string,
): Promise<KeyLookup> => {
  const parsed = parseIssueKey(key);
  if (parsed === null || !isUuid(viewerId)) return { found: null };
  if (organizationId !== undefined && !isUuid(organizationId)) return { found: null };
  const { rows } = await db.raw<{ rows: (IssueRow & { organization_id: string })[] }>(
    `SELECT ${issueSelect('i', viewerId)}, i.organization_id FROM issues AS i
     JOIN memberships AS m ON m.organization_id = i.organization_id AND m.user_id = ?::uuid
     WHERE i.key = ? ${organizationId === undefined ? '' : 'AND i.organization_id = ?::uuid'}
     ORDER BY i.organization_id`,
    [
      viewerId,
      `${parsed.projectKey}-${parsed.number}`,
      ...(organizationId === undefined ? [] : [organizationId]),
    ],
  );
  if (rows.length > 1) return { ambiguous: rows.map((r) => ({ id: r.id, organization: r.organization_id })) };
  const row = rows[0];
  return { found: row === undefined ? null : { issue: issueFromRow(row), revision: row.revision } };
};

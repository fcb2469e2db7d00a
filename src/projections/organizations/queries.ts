import type { Knex } from 'knex';
import type { Role } from '../../domain';
import { encodeCursor } from '../shared/cursor';
import { isUuid } from '../shared/ids';
import type { Page, PageRequest } from '../shared/page';
import { pageLimit, toPage } from '../shared/page';
import { isoTime } from '../shared/sql';
import { afterOrganization } from './paging';

/** An organization in the caller's list: `{ id, name, created_at, role }`. */
export interface OrganizationListItem {
  id: string;
  name: string;
  created_at: string;
  role: Role;
}

/** `GET /organizations/{id}/`. */
export interface OrganizationView extends OrganizationListItem {
  member_count: number;
}

/** The organizations the user belongs to, with the user's role, in organization id order (UUIDv7: oldest first). */
export const listOrganizations = async (
  db: Knex,
  userId: string,
  request: PageRequest = {},
): Promise<Page<OrganizationListItem>> => {
  const limit = pageLimit(request.limit);
  const after = afterOrganization(request, 'organizations');
  if (!isUuid(userId)) return { results: [], nextCursor: null };
  const rows: (OrganizationListItem & { created_at: Date })[] = await db('memberships as m')
    .join('organizations as o', 'o.id', 'm.organization_id')
    .select('o.id', 'o.name', 'o.created_at', 'm.role')
    .where('m.user_id', userId)
    .modify((q) => (after === null ? q : q.where('m.organization_id', '>', after)))
    .orderBy('m.organization_id')
    .limit(limit + 1);
  return toPage(
    rows,
    limit,
    (r) => ({ id: r.id, name: r.name, created_at: isoTime(r.created_at), role: r.role }),
    (r) => encodeCursor({ ordering: 'organizations', key: [r.id] }),
  );
};

/** The organization with the viewer's role and its member count; null unless the viewer is a member. */
export const getOrganization = async (
  db: Knex,
  organizationId: string,
  viewerId: string,
): Promise<OrganizationView | null> => {
  if (!isUuid(organizationId) || !isUuid(viewerId)) return null;
  const row = await db('organizations as o')
    .join('memberships as m', 'm.organization_id', 'o.id')
    .select('o.id', 'o.name', 'o.created_at', 'm.role', 'o.member_count')
    .where({ 'o.id': organizationId, 'm.user_id': viewerId })
    .first();
  if (row === undefined) return null;
  return {
    id: row.id,
    name: row.name,
    created_at: isoTime(row.created_at),
    role: row.role,
    member_count: row.member_count,
  };
};

export type { MemberView, MembershipView } from './members';
export { membershipCount, organizationIdsOf, roleOf } from './roles';
export { listMembers, listMemberships } from './members';

/** Of the given (organization, user) pairs, those that are memberships now, as `organizationId|userId` keys. */
export const currentMemberships = async (
  db: Knex,
  pairs: readonly { organizationId: string; userId: string }[],
): Promise<Set<string>> => {
  const valid = pairs.filter((p) => isUuid(p.organizationId) && isUuid(p.userId));
  if (valid.length === 0) return new Set();
  const { rows } = await db.raw<{ rows: { organization_id: string; user_id: string }[] }>(
    `SELECT m.organization_id, m.user_id FROM memberships m
     JOIN unnest(?::uuid[], ?::uuid[]) AS p(organization_id, user_id)
       ON p.organization_id = m.organization_id AND p.user_id = m.user_id`,
    [valid.map((p) => p.organizationId), valid.map((p) => p.userId)],
  );
  return new Set(rows.map((r) => `${r.organization_id}|${r.user_id}`));
};

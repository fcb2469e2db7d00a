import type { Knex } from 'knex';
import type { Role } from '../../domain';
import { isUuid } from '../shared/ids';
import { lookupById } from '../shared/lookup';
import { isoTime } from '../shared/sql';
import { membershipList } from './paging';

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
export const listOrganizations = membershipList({
  ordering: 'organizations',
  select: (q) =>
    q
      .join('organizations as o', 'o.id', 'm.organization_id')
      .select('m.organization_id', 'o.id', 'o.name', 'o.created_at', 'm.role'),
  view: (r: OrganizationListItem & { organization_id: string; created_at: Date }): OrganizationListItem => ({
    id: r.id,
    name: r.name,
    created_at: isoTime(r.created_at),
    role: r.role,
  }),
});

/** The organization with the viewer's role and its member count; null unless the viewer is a member. */
export const getOrganization = lookupById(
  async (db, organizationId, viewerId): Promise<OrganizationView | null> => {
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
  },
);

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

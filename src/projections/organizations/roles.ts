import type { Knex } from 'knex';
import type { Role } from '../../domain';
import { isUuid } from '../shared/ids';
import { lookupById } from '../shared/lookup';
import { preparedRaw } from '../shared/sql';

/** The user's role in the organization, or null when not a member (or no such organization): for authorization. */
export const roleOf = lookupById(async (db, organizationId, userId): Promise<Role | null> => {
  const row = await db('memberships')
    .select('role')
    .where({ organization_id: organizationId, user_id: userId })
    .first();
  return (row?.role as Role | undefined) ?? null;
});

/** Ids of every organization the user belongs to. */
export const organizationIdsOf = async (db: Knex, userId: string): Promise<string[]> => {
  if (!isUuid(userId)) return [];
  // Read by every list: prepared (its planning cost three times its run).
  const { rows } = await preparedRaw<{ rows: { organization_id: string }[] }>(
    db,
    'SELECT organization_id FROM memberships WHERE user_id = ?::uuid ORDER BY organization_id',
    [userId],
  );
  return rows.map((r) => r.organization_id);
};

/** How many organizations the user belongs to (the membership limit counts these). */
export const membershipCount = async (db: Knex, userId: string): Promise<number> => {
  if (!isUuid(userId)) return 0;
  const row = await db('memberships').where({ user_id: userId }).count<{ n: string }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
};

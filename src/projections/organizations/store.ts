import type { Knex } from 'knex';
import { arrayParam, ident, isoTime, recordset } from '../shared/sql';
import type { MembershipChange, OrganizationBatch, OrganizationRecord } from './fold';

interface Tables {
  organizations: string;
  memberships: string;
}

export const loadOrganizations = async (
  trx: Knex.Transaction,
  table: string,
  ids: readonly string[],
): Promise<Map<string, OrganizationRecord>> => {
  if (ids.length === 0) return new Map();
  const { rows } = await trx.raw<{
    rows: { id: string; name: string; created_at: Date; member_count: number; revision: number }[];
  }>(`SELECT id, name, created_at, member_count, revision FROM ${ident(table)} WHERE id = ANY(?::uuid[])`, [
    arrayParam(ids),
  ]);
  return new Map(
    rows.map((row) => [
      row.id,
      {
        id: row.id,
        name: row.name,
        createdAt: isoTime(row.created_at),
        memberCount: row.member_count,
        revision: row.revision,
      },
    ]),
  );
};

const ofKind = <K extends MembershipChange['kind']>(changes: Iterable<MembershipChange>, kind: K) =>
  [...changes].filter((c): c is Extract<MembershipChange, { kind: K }> => c.kind === kind);

/** Writes a folded batch in at most four statements, whatever its size. */
export const saveOrganizations = async (trx: Knex.Transaction, tables: Tables, batch: OrganizationBatch) => {
  const organizations = ident(tables.organizations);
  const memberships = ident(tables.memberships);
  if (batch.organizations.size > 0) {
    const rows = [...batch.organizations.values()].map((o) => ({
      id: o.id,
      name: o.name,
      created_at: o.createdAt,
      member_count: o.memberCount,
      revision: o.revision,
    }));
    await trx.raw(
      `INSERT INTO ${organizations} AS o (id, name, created_at, member_count, revision)
       SELECT r.id, r.name, r.created_at, r.member_count, r.revision
       FROM jsonb_to_recordset(?::jsonb)
         AS r(id uuid, name text, created_at timestamptz, member_count integer, revision integer)
       ON CONFLICT (id) DO UPDATE
         SET name = excluded.name, member_count = excluded.member_count, revision = excluded.revision
         WHERE o.revision < excluded.revision`,
      [recordset(rows)],
    );
  }
  const changes = [...batch.memberships.values()];
  const leaves = ofKind(changes, 'leave');
  if (leaves.length > 0) {
    await trx.raw(
      `DELETE FROM ${memberships} AS m USING jsonb_to_recordset(?::jsonb) AS r(organization_id uuid, user_id uuid)
       WHERE m.organization_id = r.organization_id AND m.user_id = r.user_id`,
      [
        recordset(
          leaves.map(({ organizationId, userId }) => ({ organization_id: organizationId, user_id: userId })),
        ),
      ],
    );
  }
  const joins = ofKind(changes, 'join');
  if (joins.length > 0) {
    await trx.raw(
      `INSERT INTO ${memberships} AS m (organization_id, user_id, role, joined_at)
       SELECT r.organization_id, r.user_id, r.role, r.joined_at
       FROM jsonb_to_recordset(?::jsonb) AS r(organization_id uuid, user_id uuid, role text, joined_at timestamptz)
       ON CONFLICT (organization_id, user_id) DO UPDATE SET role = excluded.role, joined_at = excluded.joined_at`,
      [
        recordset(
          joins.map((j) => ({
            organization_id: j.organizationId,
            user_id: j.userId,
            role: j.role,
            joined_at: j.joinedAt,
          })),
        ),
      ],
    );
  }
  const roles = ofKind(changes, 'role');
  if (roles.length > 0) {
    await trx.raw(
      `UPDATE ${memberships} AS m SET role = r.role
       FROM jsonb_to_recordset(?::jsonb) AS r(organization_id uuid, user_id uuid, role text)
       WHERE m.organization_id = r.organization_id AND m.user_id = r.user_id`,
      [recordset(roles.map((c) => ({ organization_id: c.organizationId, user_id: c.userId, role: c.role })))],
    );
  }
};

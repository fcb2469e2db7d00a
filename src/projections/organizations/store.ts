import type { Knex } from 'knex';
import { ident, insertRows, isoTime, recordset, rowsWithIds } from '../shared/sql';
import type { MembershipChange, OrganizationBatch, OrganizationRecord } from './fold';

interface Tables {
  organizations: string;
  memberships: string;
}

/** The organizations a batch touches, as they are before it. */
export const loadOrganizations = async (
  trx: Knex.Transaction,
  table: string,
  ids: readonly string[],
): Promise<Map<string, OrganizationRecord>> => {
  const rows = await rowsWithIds<{
    id: string;
    name: string;
    created_at: Date;
    member_count: number;
    revision: number;
  }>(trx, table, 'id, name, created_at, member_count, revision', ids);
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
  const memberships = ident(tables.memberships);
  await insertRows(
    trx,
    tables.organizations,
    { id: 'uuid', name: 'text', created_at: 'timestamptz', member_count: 'integer', revision: 'integer' },
    [...batch.organizations.values()].map((o) => ({
      id: o.id,
      name: o.name,
      created_at: o.createdAt,
      member_count: o.memberCount,
      revision: o.revision,
    })),
    `ON CONFLICT (id) DO UPDATE
       SET name = excluded.name, member_count = excluded.member_count, revision = excluded.revision
       WHERE t.revision < excluded.revision`,
  );
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
  await insertRows(
    trx,
    tables.memberships,
    { organization_id: 'uuid', user_id: 'uuid', role: 'text', joined_at: 'timestamptz' },
    ofKind(changes, 'join').map((j) => ({
      organization_id: j.organizationId,
      user_id: j.userId,
      role: j.role,
      joined_at: j.joinedAt,
    })),
    'ON CONFLICT (organization_id, user_id) DO UPDATE SET role = excluded.role, joined_at = excluded.joined_at',
  );
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

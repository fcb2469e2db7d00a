import type { Knex } from 'knex';
import { isUuid } from './shared/ids';

/** The stream revision a read model row reflects: the `ETag` of single resources. */
const revisionIn =
  (table: 'organizations' | 'projects' | 'issues') =>
  async (db: Knex, id: string): Promise<number | null> => {
    if (!isUuid(id)) return null;
    const row = (await db(table).select('revision').where({ id }).first()) as
      | { revision: number }
      | undefined;
    return row ? Number(row.revision) : null;
  };

export const organizationRevision = revisionIn('organizations');
export const projectRevision = revisionIn('projects');

/** Open issues assigned to a user in an organization: released when the user leaves it. */
export const openAssignments = async (
  db: Knex,
  organizationId: string,
  userId: string,
): Promise<string[]> => {
  if (!isUuid(organizationId) || !isUuid(userId)) return [];
  const rows = (await db('issues')
    .select('id')
    .where({ organization_id: organizationId, assignee_id: userId })
    .whereNot('status', 'done')) as { id: string }[];
  return rows.map((r) => r.id);
};

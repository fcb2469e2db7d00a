import type { Knex } from 'knex';
import type { Role } from '../../domain';
import { organizationIdsOf, roleOf } from '../organizations/roles';
import { encodeCursor } from '../shared/cursor';
import { isUuid } from '../shared/ids';
import { lookupById } from '../shared/lookup';
import { mergedBranches } from '../shared/keyset';
import type { Page, PageRequest } from '../shared/page';
import { readPageRequest, toPage } from '../shared/page';
import { isoTime, timeText } from '../shared/sql';
import { isIsoTime } from '../shared/values';
import type { ProjectView } from './record';
import { PROJECT_COLUMNS, type ProjectRow } from './row';

export type { ProjectView } from './record';

const view = (row: ProjectRow): ProjectView => ({
  id: row.id,
  organization: row.organization_id,
  name: row.name,
  description: row.description,
  created_at: isoTime(row.created_at),
  updated_at: isoTime(row.updated_at),
  archived: row.archived,
  key: row.key,
});

/** What authorization needs about a project: its organization, whether it is archived, and the user's role there. */
export interface ProjectAccess {
  organizationId: string;
  archived: boolean;
  /** Null when the user is not a member: the project must then look as if it did not exist. */
  role: Role | null;
}

/** Null when there is no such project (realtime closes with 4004); `role: null` when the user may not see it. */
export const projectAccess = async (
  db: Knex,
  projectId: string,
  userId: string,
): Promise<ProjectAccess | null> => {
  if (!isUuid(projectId)) return null;
  const row = await db('projects').select('organization_id', 'archived').where({ id: projectId }).first();
  if (row === undefined) return null;
  return {
    organizationId: row.organization_id,
    archived: row.archived,
    role: await roleOf(db, row.organization_id, userId),
  };
};

/** The project (archived ones too: they stay in history); null unless the viewer is a member of its organization. */
export const getProject = lookupById(async (db, projectId, viewerId): Promise<ProjectView | null> => {
  const row: ProjectRow | undefined = await db('projects as p')
    .select(PROJECT_COLUMNS.split(', ').map((c) => `p.${c}`))
    .whereExists((q) =>
      q
        .select(db.raw('1'))
        .from('memberships as m')
        .whereRaw('m.organization_id = p.organization_id')
        .where('m.user_id', viewerId),
    )
    .where('p.id', projectId)
    .first();
  return row === undefined ? null : view(row);
});

export interface ProjectListRequest extends PageRequest {
  /** `?organization=`: only this one of the viewer's organizations. */
  organizationId?: string;
}

const projectKey = (key: ReadonlyArray<unknown>) => key.length === 2 && isIsoTime(key[0]) && isUuid(key[1]);

/** Projects of the viewer's organizations, archived ones left out, newest first. */
export const listProjects = async (
  db: Knex,
  viewerId: string,
  request: ProjectListRequest = {},
): Promise<Page<ProjectView>> => {
  const { limit, after } = readPageRequest(request, 'projects', projectKey);
  const mine = await organizationIdsOf(db, viewerId);
  const scope =
    request.organizationId === undefined ? mine : mine.filter((id) => id === request.organizationId);
  if (scope.length === 0) return { results: [], nextCursor: null };
  const query = mergedBranches({
    branches: scope.map((organizationId) => ({
      sql: `organization_id = ?::uuid AND NOT archived${after ? ' AND (created_at, id) < (?::timestamptz, ?::uuid)' : ''}`,
      bindings: after ? [organizationId, after[0]!, after[1]!] : [organizationId],
    })),
    innerColumns: PROJECT_COLUMNS,
    outerColumns: `*, ${timeText('created_at')} AS created_key`,
    from: 'projects',
    orderBy: 'created_at DESC, id DESC',
    limit: limit + 1,
  });
  const { rows } = await db.raw<{ rows: (ProjectRow & { created_key: string })[] }>(
    query.sql,
    query.bindings,
  );
  return toPage(rows, limit, view, (r) => encodeCursor({ ordering: 'projects', key: [r.created_key, r.id] }));
};

/**
 * The keys of an organization's projects as the read model has them (archived ones too: their issue keys stay
 * valid). The command side checks a new key against them as well as against the organization's reservations, for
 * projects created before keys were reserved there.
 */
export const projectKeysOf = async (
  db: Knex,
  organizationId: string,
): Promise<{ projectId: string; key: string }[]> => {
  if (!isUuid(organizationId)) return [];
  const rows: { id: string; key: string }[] = await db('projects')
    .select('id', 'key')
    .where({ organization_id: organizationId })
    .whereNotNull('key');
  return rows.map((r) => ({ projectId: r.id, key: r.key }));
};

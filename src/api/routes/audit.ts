/** `GET /organizations/{id}/audit/`: the organization's events and those of its projects and issues, for owners. */
import type { StreamReader } from '../../eventstore/port';
import { ForbiddenError } from '../../domain/shared/errors';
import { listEvents } from '../../projections/event-log';
import { roleOf } from '../../projections/organizations/roles';
import type { RouteSpec } from '../routing';
import { loggedEventSchema, storedFlag, storedReader, timeFilter, typeFilter, userFilter } from './event-log';
import { listRoute } from './reads';
import { idParams, pageQuery, type ResourceDeps } from './shared';

export interface AuditDeps extends ResourceDeps {
  /** The store without upcasting, for `?stored=true`; null when none is configured. */
  storedEvents: StreamReader | null;
}

const auditQuery = pageQuery.extend({
  type: typeFilter,
  actor: userFilter('Events recorded on behalf of this user (a user id)'),
  after: timeFilter('Occurred strictly after this ISO 8601 time'),
  before: timeFilter('Occurred strictly before this ISO 8601 time'),
  stored: storedFlag,
});

/** Owners only: 404 for an organization the caller is not in (or that does not exist), 403 for other roles. */
const mustOwn = async (deps: AuditDeps, organizationId: string, viewerId: string): Promise<boolean> => {
  const role = await roleOf(deps.db, organizationId, viewerId);
  if (role === null) return false;
  if (role !== 'owner') throw new ForbiddenError('only owners may read the audit log');
  return true;
};

const auditRoute = (deps: AuditDeps) =>
  listRoute(deps, {
    path: '/api/v1/organizations/{id}/audit/',
    summary: "The organization's events and those of its projects and issues, newest first (owners)",
    tag: 'audit',
    description: 'Events, newest first',
    params: idParams,
    query: auditQuery,
    item: loggedEventSchema,
    listName: 'AuditLog',
    notFound: 'organization',
    async list({ params, query, viewerId }) {
      if (!(await mustOwn(deps, params.id, viewerId))) return null;
      return listEvents(
        deps.db,
        {
          organization: params.id,
          types: query.type,
          actor: query.actor,
          occurredAfter: query.after,
          occurredBefore: query.before,
          newestFirst: true,
        },
        query,
        { stored: storedReader(deps.storedEvents, query.stored) },
      );
    },
  });

export const auditRoutes = (deps: AuditDeps): RouteSpec[] => [auditRoute(deps)];

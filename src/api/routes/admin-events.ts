/**
 * The admin views of the log: `GET /admin/events/` (the global log from a position, as pages or as an NDJSON
 * export of any size) and `GET /admin/streams/{stream}/` (one stream in order). Every export is recorded in the
 * exporting admin's stream (`AdminActionRecorded`, `events.exported`) before its first byte.
 */
import type { Request, Response } from 'express';
import type { CredentialStore } from '../../accounts/credentials';
import type { StreamReader } from '../../eventstore/port';
import { type EventQuery, iterateEvents, listEvents } from '../../projections/event-log';
import { principal } from '../auth/authenticate';
import { streamNdjson, wantsNdjson, NDJSON } from '../ndjson';
import { z } from '../openapi';
import { requestId } from '../request-id';
import { type RouteSpec, route } from '../routing';
import { requireAdmin } from './admin';
import {
  loggedEventSchema,
  positionFilter,
  storedFlag,
  storedReader,
  streamName,
  timeFilter,
  typeFilter,
  userFilter,
} from './event-log';
import { listBody, listOf, minPosition, orNotFound, pageQuery, type ResourceDeps } from './shared';

export interface AdminEventDeps extends ResourceDeps {
  credentials: Pick<CredentialStore, 'findById'>;
  /** The store without upcasting, for `?stored=true`; null when none is configured. */
  storedEvents: StreamReader | null;
  /** Rows per query of an NDJSON export (default 1 000). */
  exportBatchSize?: number;
}

const eventsQuery = pageQuery.extend({
  after: positionFilter(
    'Events strictly after this position (as given in X-Position); default: from the start',
  ),
  type: typeFilter,
  stream: streamName.optional(),
  actor: userFilter('Events recorded on behalf of this user (a user id)'),
  organization: z
    .uuid({ message: 'must be an organization id (a UUID)' })
    .transform((id) => id.toLowerCase())
    .optional()
    .openapi({ description: 'Events of this organization and of its projects and issues' }),
  from: timeFilter('Occurred at or after this ISO 8601 time'),
  to: timeFilter('Occurred strictly before this ISO 8601 time'),
  stored: storedFlag,
});
type EventsQuery = z.output<typeof eventsQuery>;

const toEventQuery = (query: EventsQuery): EventQuery => ({
  afterPosition: query.after,
  types: query.type,
  stream: query.stream,
  actor: query.actor,
  organization: query.organization,
  occurredFrom: query.from,
  occurredBefore: query.to,
});

/** What an export's record says: its filters and range, flat. */
const exportDetails = (query: EventsQuery) => ({
  after: query.after,
  from: query.from,
  to: query.to,
  type: query.type?.join(','),
  stream: query.stream,
  actor: query.actor,
  organization: query.organization,
  stored: query.stored,
});

/**
 * Records the export, then streams what the index holds before that record: the log as it was when the export
 * began, however busy it is meanwhile. The record's position comes back as `X-Position`.
 */
const exportEvents = async (deps: AdminEventDeps, req: Request, res: Response, query: EventsQuery) => {
  const adminId = principal(req).id;
  const stored = storedReader(deps.storedEvents, query.stored);
  const recorded = await deps.commands.recordAdminAction(
    { adminId, action: 'events.exported', details: exportDetails(query) },
    { actorId: adminId, correlationId: requestId(req) },
  );
  res.status(200).type(NDJSON).setHeader('Cache-Control', 'no-store');
  if (recorded.position !== null) res.setHeader('X-Position', recorded.position);
  const range = { ...toEventQuery(query), beforePosition: recorded.position ?? undefined };
  const events = iterateEvents(deps.db, range, { batchSize: deps.exportBatchSize, stored });
  await streamNdjson(req, res, events);
};

const adminEventsRoute = (deps: AdminEventDeps) =>
  route({
    method: 'get',
    path: '/api/v1/admin/events/',
    summary:
      'The global log, oldest first, from a position (admins); with Accept: application/x-ndjson, all of it as one event per line',
    tag: 'admin',
    auth: true,
    query: eventsQuery,
    before: [requireAdmin(deps.credentials), minPosition(deps)],
    responses: {
      200: {
        description:
          'A page of events; with Accept: application/x-ndjson every matching event, one JSON object per line (recorded as an admin action, whose position is X-Position)',
        schema: listOf(loggedEventSchema, 'EventLog'),
      },
      403: { description: 'Not an admin' },
    },
    async handler({ query, req, res }) {
      if (wantsNdjson(req)) return exportEvents(deps, req, res, query);
      const stored = storedReader(deps.storedEvents, query.stored);
      res.json(listBody(req, await listEvents(deps.db, toEventQuery(query), query, { stored })));
    },
  });

const adminStreamRoute = (deps: AdminEventDeps) =>
  route({
    method: 'get',
    path: '/api/v1/admin/streams/{stream}/',
    summary: "One stream's events with their metadata, in revision order (admins)",
    tag: 'admin',
    auth: true,
    params: z.object({ stream: streamName }),
    query: pageQuery.extend({ stored: storedFlag }),
    before: [requireAdmin(deps.credentials), minPosition(deps)],
    responses: {
      200: { description: "The stream's events", schema: listOf(loggedEventSchema, 'StreamEvents') },
      403: { description: 'Not an admin' },
      404: { description: 'No event in that stream' },
    },
    async handler({ params, query, req, res }) {
      const stored = storedReader(deps.storedEvents, query.stored);
      const page = await listEvents(deps.db, { stream: params.stream }, query, { stored });
      const empty = page.results.length === 0 && !query.cursor;
      res.json(listBody(req, orNotFound(empty ? null : page, 'stream')));
    },
  });

export const adminEventRoutes = (deps: AdminEventDeps): RouteSpec[] => [
  adminEventsRoute(deps),
  adminStreamRoute(deps),
];

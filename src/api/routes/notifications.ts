import {
  listNotifications,
  markAllNotificationsRead,
  markNotificationRead,
} from '../../jobs/notifications/queries';
import { NOTIFICATION_KINDS } from '../../jobs/notifications/model';
import { principal } from '../auth/authenticate';
import { z } from '../openapi';
import { type RouteSpec, route } from '../routing';
import { listRoute } from './reads';
import { idParams, orNotFound, pageQuery, type ResourceDeps } from './shared';

const notificationSchema = z
  .object({
    id: z.uuid(),
    kind: z.string().openapi({ description: `One of ${NOTIFICATION_KINDS.join(', ')} (more may come)` }),
    issue: z.uuid().nullable(),
    project: z.uuid().nullable(),
    message: z.string(),
    created_at: z.string(),
    read_at: z.string().nullable(),
  })
  .openapi('Notification');

const listQuery = pageQuery.extend({
  unread: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'true: only the notifications not read yet' }),
});

/** Nothing to send: a body, when there is one, must be empty (any field is a 400 naming it). */
const noBody = (name: string) => z.object({}).openapi(name);

/**
 * The caller's notifications (written by the notifications reaction and the overdue reminders). Each user sees
 * only their own: another user's notification is a 404, like anything the caller cannot see. `?min_position=`
 * waits for the reactions (not the read models) to reach the position.
 */
export const notificationRoutes = (deps: ResourceDeps): RouteSpec[] => [
  listRoute(deps, {
    path: '/api/v1/notifications/',
    summary: "The caller's notifications, newest first",
    tag: 'notifications',
    description: 'Notifications',
    query: listQuery,
    item: notificationSchema,
    listName: 'NotificationList',
    list: ({ query, viewerId }) =>
      listNotifications(deps.db, viewerId, {
        limit: query.limit,
        cursor: query.cursor,
        unread: query.unread === 'true',
      }),
  }),
  route({
    method: 'post',
    path: '/api/v1/notifications/{id}/read/',
    summary: 'Mark one of the caller’s notifications read (again: keeps the first time)',
    tag: 'notifications',
    auth: true,
    params: idParams,
    body: noBody('MarkReadRequest'),
    responses: { 200: { description: 'The notification, read', schema: notificationSchema } },
    async handler({ params, req, res }) {
      res.json(orNotFound(await markNotificationRead(deps.db, principal(req).id, params.id), 'notification'));
    },
  }),
  route({
    method: 'post',
    path: '/api/v1/notifications/read-all/',
    summary: 'Mark every notification of the caller read',
    tag: 'notifications',
    auth: true,
    body: noBody('MarkAllReadRequest'),
    responses: { 204: { description: 'All read' } },
    async handler({ req, res }) {
      await markAllNotificationsRead(deps.db, principal(req).id);
      res.status(204).end();
    },
  }),
];

import type { Knex } from 'knex';
import type { Position } from '../../eventstore/port';
import type { RoomMessage } from '../../projections/projection';
import { encodeCursor } from '../../projections/shared/cursor';
import { type Page, type PageRequest, readPageRequest, toPage } from '../../projections/shared/page';
import { isUuid } from '../../shared/uuid';
import {
  isNotificationPosition,
  NO_NOTIFICATION,
  type NotificationView,
  notificationMessage,
  notificationPosition,
  notificationView,
  type StoredNotification,
  seqOf,
} from './model';

interface Row {
  id: string;
  recipient_id: string;
  seq: string | number;
  kind: string;
  issue_id: string | null;
  project_id: string | null;
  organization_id: string | null;
  message: string;
  actor_id: string | null;
  event_id: string | null;
  event_position: string | null;
  created_at: Date;
  read_at: Date | null;
}

const stored = (r: Row): StoredNotification => ({
  id: r.id,
  recipientId: r.recipient_id,
  seq: Number(r.seq),
  kind: r.kind as StoredNotification['kind'],
  issueId: r.issue_id,
  projectId: r.project_id,
  organizationId: r.organization_id,
  message: r.message,
  actorId: r.actor_id,
  createdAt: r.created_at.toISOString(),
  readAt: r.read_at === null ? null : r.read_at.toISOString(),
  ...(r.event_id && r.event_position ? { event: { id: r.event_id, position: r.event_position } } : {}),
});

const ORDERING = 'notifications';
const seqKey = (key: ReadonlyArray<unknown>) =>
  key.length === 1 && typeof key[0] === 'number' && Number.isSafeInteger(key[0]) && key[0] > 0;

/** A user's notifications, newest first (by inbox number: stable under concurrent inserts), unread ones only when asked. */
export const listNotifications = async (
  db: Knex,
  userId: string,
  request: PageRequest & { unread?: boolean } = {},
): Promise<Page<NotificationView>> => {
  const { limit, after } = readPageRequest(request, ORDERING, seqKey);
  if (!isUuid(userId)) return { results: [], nextCursor: null };
  const rows = (await db('notifications')
    .where({ recipient_id: userId })
    .modify((q) => {
      if (request.unread) q.whereNull('read_at');
      if (after !== null) q.where('seq', '<', after[0] as number);
    })
    .orderBy('seq', 'desc')
    .limit(limit + 1)) as Row[];
  return toPage(
    rows,
    limit,
    (r) => notificationView(stored(r)),
    (r) => encodeCursor({ ordering: ORDERING, key: [Number(r.seq)] }),
  );
};

/** Marks one of the user's notifications read (keeping the first time it was); null when it is not theirs. */
export const markNotificationRead = async (
  db: Knex,
  userId: string,
  notificationId: string,
): Promise<NotificationView | null> => {
  if (!isUuid(userId) || !isUuid(notificationId)) return null;
  const [row] = (await db('notifications')
    .where({ id: notificationId, recipient_id: userId })
    .update({ read_at: db.raw('coalesce(read_at, now())') })
    .returning('*')) as Row[];
  return row ? notificationView(stored(row)) : null;
};

/** Marks every unread notification of the user read; returns how many. */
export const markAllNotificationsRead = async (db: Knex, userId: string): Promise<number> => {
  if (!isUuid(userId)) return 0;
  return db('notifications')
    .where({ recipient_id: userId })
    .whereNull('read_at')
    .update({ read_at: db.fn.now() });
};

export const NOTIFICATION_PAGE_MAX = 1000;

/**
 * What the user's room was sent after `after` (a notification position), oldest first, a page at a time; null
 * when `after` is not a notification position (the socket answers resync).
 */
export const notificationsAfter = async (
  db: Knex,
  userId: string,
  after: Position,
  limit = NOTIFICATION_PAGE_MAX,
): Promise<RoomMessage[] | null> => {
  if (!isNotificationPosition(after)) return null;
  if (!isUuid(userId)) return [];
  const rows = (await db('notifications')
    .where({ recipient_id: userId })
    .where('seq', '>', seqOf(after))
    .orderBy('seq')
    .limit(Math.min(Math.max(1, Math.trunc(limit)), NOTIFICATION_PAGE_MAX))) as Row[];
  return rows.map((r) => notificationMessage(stored(r)));
};

/** The position of the user's latest notification: a socket without `since` starts after it. */
export const latestNotificationPosition = async (db: Knex, userId: string): Promise<Position> => {
  if (!isUuid(userId)) return NO_NOTIFICATION;
  const row = (await db('notification_inboxes').select('last_seq').where({ recipient_id: userId }).first()) as
    | { last_seq: string }
    | undefined;
  return row ? notificationPosition(BigInt(row.last_seq)) : NO_NOTIFICATION;
};

import type { Position } from '../../eventstore/port';
import type { RoomMessage } from '../../projections/projection';

/** What a notification is about. The issue kinds are API.md's and this part's additions (docs/jobs.md). */
export const NOTIFICATION_KINDS = [
  'issue.assigned',
  'issue.unassigned',
  'issue.status_changed',
  'issue.due_date_changed',
  'issue.title_changed',
  'issue.priority_changed',
  'issue.deleted',
  'issue.restored',
  'issue.overdue',
  'comment.created',
  'comment.mentioned',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** A notification to record: from an event (idempotent by event, recipient and kind) or a reminder (by issue and day). */
export interface NotificationDraft {
  recipientId: string;
  kind: NotificationKind;
  issueId: string | null;
  projectId: string | null;
  organizationId: string | null;
  message: string;
  /** Who made the change; null for the system (reminders). */
  actorId: string | null;
  /** ISO time: the event's, or the reminder run's. */
  createdAt: string;
  /** The event it reacts to. */
  event?: { id: string; position: Position };
  /** `YYYY-MM-DD`, for overdue reminders: one per issue and day. */
  reminderDate?: string;
}

/** A recorded notification: its id, and its number in the recipient's inbox. */
export interface StoredNotification extends NotificationDraft {
  id: string;
  seq: number;
  readAt: string | null;
}

/** API.md's notification. */
export interface NotificationView {
  id: string;
  kind: string;
  issue: string | null;
  project: string | null;
  message: string;
  created_at: string;
  read_at: string | null;
}

/** The user's room on `/ws/notifications/` (the realtime part joins it; this part publishes to it). */
export const notificationRoom = (userId: string): string => `user:${userId}`;

/**
 * A notification's position: its number in the recipient's inbox, 16 lower-case hex digits (so positions compare
 * as strings). Not a log position: a user's notifications come from the reactor and from reminder runs, and only
 * the inbox orders them all (see notification_inboxes).
 */
export const notificationPosition = (seq: number | bigint): Position => seq.toString(16).padStart(16, '0');

/** Before the first notification. */
export const NO_NOTIFICATION: Position = notificationPosition(0);

export const isNotificationPosition = (value: string): boolean => /^[0-9a-f]{16}$/.test(value);

/** The inbox number of a notification position (callers check `isNotificationPosition` first). */
export const seqOf = (position: Position): number => Number.parseInt(position, 16);

export const notificationView = (n: StoredNotification): NotificationView => ({
  id: n.id,
  kind: n.kind,
  issue: n.issueId,
  project: n.projectId,
  message: n.message,
  created_at: new Date(n.createdAt).toISOString(),
  read_at: n.readAt === null ? null : new Date(n.readAt).toISOString(),
});

/** What API.md's `/ws/notifications/` sends for a notification. */
export const notificationMessage = (n: StoredNotification): RoomMessage => {
  const position = notificationPosition(n.seq);
  return {
    room: notificationRoom(n.recipientId),
    position,
    message: {
      type: 'notification',
      position,
      occurred_at: new Date(n.createdAt).toISOString(),
      actor_id: n.actorId,
      notification: notificationView(n),
    },
  };
};

import type { Knex } from 'knex';
import type { Position } from '../eventstore/port';
import { notificationRoom, seqOf, isNotificationPosition } from '../jobs/notifications/model';
import { NOTIFICATION_PAGE_MAX, notificationsAfter } from '../jobs/notifications/queries';
import { projectRoom } from '../projections/activity/messages';
import { FEED_PAGE_MAX, feedSince } from '../projections/activity/queries';

/** One message of a room's history, as the room sent it. */
export interface PastMessage {
  position: Position;
  payload: string;
}

/**
 * The room of a socket whose past can be replayed: a project's feed, or a user's notifications. A socket resumes
 * it from `since`, and replays it again after a bus gap (or, with dense positions, after a skipped message).
 */
export interface RoomHistory {
  readonly room: string;
  /** What the room was sent after `position`, oldest first, at most `pageSize`; null: `position` is not one of its. */
  after(position: Position): Promise<PastMessage[] | null>;
  readonly pageSize: number;
  /**
   * With dense positions (notifications: each user's are numbered 1, 2, 3…), whether `position` comes right after
   * `last`: a live message that does not missed one (the bus lost it, or two writers' publishes crossed), and the
   * socket reads the history first.
   */
  follows?(last: Position, position: Position): boolean;
}

const past = (message: { position: Position }): PastMessage => ({
  position: message.position,
  payload: JSON.stringify(message),
});

/** `/ws/projects/{id}/`: the project's activity feed (log positions). */
export const projectFeed = (db: Knex, projectId: string): RoomHistory => ({
  room: projectRoom(projectId),
  pageSize: FEED_PAGE_MAX,
  async after(position) {
    const page = await feedSince(db, projectId, position);
    return page === null ? null : page.map(past);
  },
});

/** `/ws/notifications/`: the user's notifications (positions are their numbers in the user's inbox). */
export const notificationInbox = (db: Knex, userId: string): RoomHistory => ({
  room: notificationRoom(userId),
  pageSize: NOTIFICATION_PAGE_MAX,
  async after(position) {
    const page = await notificationsAfter(db, userId, position);
    return page === null ? null : page.map((m) => past(m.message));
  },
  follows: (last, position) =>
    !isNotificationPosition(last) || !isNotificationPosition(position) || seqOf(position) === seqOf(last) + 1,
});

import type { Knex } from 'knex';
import type { Position } from '../../eventstore/port';
import { isPosition, START } from '../../eventstore/port';
import type { RoomMessage } from '../projection';
import { isUuid } from '../shared/ids';

export const FEED_PAGE_MAX = 1000;

/**
 * What a project room was sent after `since`, oldest first, at most `limit` messages (call again from the last
 * one's position for more). Null when `since` is not a position: the socket answers `{ "type": "resync" }`.
 */
export const feedSince = async (
  db: Knex,
  projectId: string,
  since: Position,
  limit = FEED_PAGE_MAX,
): Promise<RoomMessage['message'][] | null> => {
  if (!isPosition(since)) return null;
  if (!isUuid(projectId)) return [];
  const rows: { payload: RoomMessage['message'] }[] = await db('project_activity')
    .select('payload')
    .where('project_id', projectId)
    .where('position', '>', since)
    .orderBy('position')
    .limit(Number.isFinite(limit) ? Math.min(Math.max(1, Math.trunc(limit)), FEED_PAGE_MAX) : FEED_PAGE_MAX);
  return rows.map((r) => r.payload);
};

/** The position of the project room's last message, or START: a socket without `since` starts after it. */
export const latestFeedPosition = async (db: Knex, projectId: string): Promise<Position> => {
  if (!isUuid(projectId)) return START;
  const row = (await db('project_activity')
    .max('position as position')
    .where('project_id', projectId)
    .first()) as { position: string | null } | undefined;
  return row?.position ?? START;
};

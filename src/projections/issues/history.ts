import type { Knex } from 'knex';
import type { Position, StreamReader } from '../../eventstore/port';
import { encodeCursor } from '../shared/cursor';
import type { Page, PageRequest } from '../shared/page';
import { readPageRequest } from '../shared/page';
import { isoTime } from '../shared/sql';
import { atPosition, labelTimeline } from '../as-of/labels';
import { usernamesOf, userRef } from '../users/usernames';
import { issueKeys } from './keys';
import type { Changes } from './changes';
import { issueChanges, usersMentioned } from './changes';
import { visibleIssueEvents } from './stream';
import type { UserRef } from './view';

/** One entry of `GET /issues/{id}/history/`. */
export interface HistoryEntry {
  position: Position;
  /** The event type, e.g. `IssueStatusChanged`. */
  type: string;
  occurred_at: string;
  actor: UserRef | null;
  changes: Changes;
}

const revisionKey = (key: ReadonlyArray<unknown>) =>
  key.length === 1 && Number.isInteger(key[0]) && (key[0] as number) >= 0;

/**
 * The issue's events in order, from its stream, with actors and changes; deleted issues keep their history
 * (its last entry is the deletion). Labels are named as they were at each event (the organization's stream, folded
 * alongside); the creation shows the key the issue got. Null when the issue does not exist or the viewer may not
 * see it.
 */
export const issueHistory = async (
  db: Knex,
  store: StreamReader,
  issueId: string,
  viewerId: string,
  request: PageRequest = {},
): Promise<Page<HistoryEntry> | null> => {
  const { limit, after } = readPageRequest(request, 'history', revisionKey);
  const events = await visibleIssueEvents(db, store, issueId, viewerId, {
    fromRevision: after === null ? 0 : (after[0] as number) + 1,
    maxCount: limit + 1,
  });
  if (events === null) return null;
  const shown = events.slice(0, limit);
  const usernames = await usernamesOf(
    db,
    shown.flatMap(({ event, recorded }) => [recorded.metadata.actorId, ...usersMentioned(event)]),
  );
  const last = shown[shown.length - 1];
  const organizationId = shown[0]?.event.data.organizationId;
  const timeline = organizationId === undefined ? null : await labelTimeline(store, organizationId);
  const key = (await issueKeys(db, [issueId])).get(issueId) ?? null;
  return {
    results: shown.map(({ event, recorded }) => ({
      position: recorded.position,
      type: recorded.type,
      occurred_at: isoTime(recorded.metadata.occurredAt),
      actor: userRef(recorded.metadata.actorId, usernames),
      changes: issueChanges(event, usernames, {
        key,
        ...(timeline ? { labels: timeline.at(atPosition(recorded.position)) } : {}),
      }),
    })),
    nextCursor:
      events.length > limit && last !== undefined
        ? encodeCursor({ ordering: 'history', key: [last.recorded.revision] })
        : null,
  };
};

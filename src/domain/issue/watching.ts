import type { IssueEvent } from './events';

/**
 * Who watches an issue, one rule for the decider, the read model and the notifications reaction:
 *
 * - its creator and its assignee (each one, when assigned) and each commenter watch it automatically;
 * - `IssueWatched` makes the user watch it, `IssueUnwatched` makes them stop;
 * - an explicit unwatch wins over every later automatic watch (being assigned, commenting) until they watch again.
 *
 * Per user: `true` watching, `false` explicitly unwatched, absent: never either (not watching).
 */
export type WatchUpdate = readonly [userId: string, how: 'auto' | 'watch' | 'unwatch'];

/** What one event does to who watches the issue. */
export const watchUpdates = (event: IssueEvent): WatchUpdate[] => {
  switch (event.type) {
    case 'IssueCreated':
    case 'IssueRestored':
      return [
        [event.data.createdBy, 'auto'],
        ...(event.data.assigneeId ? [[event.data.assigneeId, 'auto'] as const] : []),
      ];
    case 'IssueAssigned':
      return [[event.data.assigneeId, 'auto']];
    case 'CommentAdded':
      return [[event.data.authorId, 'auto']];
    case 'IssueWatched':
      return [[event.data.userId, 'watch']];
    case 'IssueUnwatched':
      return [[event.data.userId, 'unwatch']];
    default:
      return [];
  }
};

/** A user's watch after one update: an automatic watch never overrides an explicit unwatch. */
export const nextWatching = (current: boolean | undefined, how: WatchUpdate[1]): boolean => {
  if (how === 'watch') return true;
  if (how === 'unwatch') return false;
  return current ?? true;
};

/** The watch map after one event (the same map when nothing changes). */
export const evolveWatching = (
  watch: ReadonlyMap<string, boolean>,
  event: IssueEvent,
): ReadonlyMap<string, boolean> => {
  const updates = watchUpdates(event);
  if (updates.length === 0) return watch;
  const next = new Map(watch);
  for (const [userId, how] of updates) next.set(userId, nextWatching(next.get(userId), how));
  return next;
};

/** Who watches, from a watch map. */
export const watchersOf = (watch: ReadonlyMap<string, boolean>): string[] =>
  [...watch].filter(([, watching]) => watching).map(([userId]) => userId);

import type { Knex } from 'knex';
import { ValidationError } from '../../domain';
import type { StreamReader } from '../../eventstore/port';
import { isPosition } from '../../eventstore/port';
import { usernamesOf } from '../users/usernames';
import type { IssueWithRevision } from './get';
import type { IssueRecord } from './record';
import { evolveIssue } from './record';
import type { IssueStreamEvent } from './stream';
import { visibleIssueEvents } from './stream';
import { issueView } from './view';
import { isIsoTime } from '../shared/values';

/** `?as_of=`: a position of the log, or an ISO 8601 time (a date alone means its midnight UTC). */
export type AsOf = { position: string } | { time: number };

export const parseAsOf = (value: string): AsOf => {
  if (isPosition(value)) return { position: value };
  const time = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  if (isIsoTime(time)) return { time: Date.parse(time) };
  throw ValidationError.field('as_of', 'must be an ISO 8601 time or a position');
};

const reached =
  (asOf: AsOf) =>
  ({ recorded }: IssueStreamEvent): boolean =>
    'position' in asOf
      ? recorded.position <= asOf.position
      : Date.parse(recorded.metadata.occurredAt) <= asOf.time;

/**
 * The issue as it was at `asOf`, folded from its events with the domain's `evolve` (the stream's own order is
 * the truth, so the fold stops at the first event past the point). Null when it did not exist yet or was
 * already deleted then, or when the viewer is not a member of its organization.
 */
export const issueAsOf = async (
  db: Knex,
  store: StreamReader,
  issueId: string,
  viewerId: string,
  asOf: string | AsOf,
): Promise<IssueWithRevision | null> => {
  const point = typeof asOf === 'string' ? parseAsOf(asOf) : asOf;
  const events = await visibleIssueEvents(db, store, issueId, viewerId);
  if (events === null) return null;
  const upTo = events.findIndex((e) => !reached(point)(e));
  let record: IssueRecord | undefined;
  for (const applied of upTo === -1 ? events : events.slice(0, upTo)) record = evolveIssue(record, applied);
  if (record === undefined || record.state.deleted) return null;
  const usernames = await usernamesOf(db, [record.state.assigneeId]);
  return { issue: issueView(record, usernames), revision: record.revision };
};

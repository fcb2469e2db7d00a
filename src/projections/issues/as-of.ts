import type { Knex } from 'knex';
import type { StreamReader } from '../../eventstore/port';
import { labelTimeline } from '../as-of/labels';
import { usernamesOf } from '../users/usernames';
import type { IssueWithRevision } from './get';
import { issueKeys } from './keys';
import type { IssueRecord } from './record';
import { evolveIssue } from './record';
import { visibleIssueEvents } from './stream';
import { issueView } from './view';
import { type AsOf, asPoint, upTo } from '../as-of/point';

export type { AsOf } from '../as-of/point';
export { parseAsOf } from '../as-of/point';

/**
 * The issue as it was at `asOf`, folded from its events with the domain's `evolve` (the stream's own order is
 * the truth, so the fold stops at the first event past the point), with its labels as its organization's stream
 * had them then (a label deleted by then is not shown, even before the process took it off the issue) and its key
 * (given at its creation, never changed). Null when it did not exist yet or was already deleted then, or when the
 * viewer is not a member of its organization.
 */
export const issueAsOf = async (
  db: Knex,
  store: StreamReader,
  issueId: string,
  viewerId: string,
  asOf: string | AsOf,
): Promise<IssueWithRevision | null> => {
  const events = await visibleIssueEvents(db, store, issueId, viewerId);
  if (events === null) return null;
  const point = asPoint(asOf);
  let record: IssueRecord | undefined;
  for (const applied of upTo(point, events)) record = evolveIssue(record, applied);
  if (record === undefined || record.state.deleted) return null;
  const usernames = await usernamesOf(db, [record.state.assigneeId]);
  const labels = (await labelTimeline(store, record.state.organizationId)).at(point);
  const key = (await issueKeys(db, [issueId])).get(issueId) ?? null;
  return { issue: issueView({ ...record, key }, usernames, labels, viewerId), revision: record.revision };
};

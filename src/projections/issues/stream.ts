import type { Knex } from 'knex';
import type { IssueEvent } from '../../domain';
import { issueStream } from '../../domain';
import type { ReadStreamOptions, RecordedEvent, StreamReader } from '../../eventstore/port';
import { roleOf } from '../organizations/roles';
import { isUuid } from '../shared/ids';

export interface IssueStreamEvent {
  event: IssueEvent;
  recorded: RecordedEvent;
}

const firstEvent = async (store: StreamReader, issueId: string): Promise<IssueEvent | undefined> => {
  const [first] = await store.readStream(issueStream(issueId), { maxCount: 1 });
  return first === undefined ? undefined : ({ type: first.type, data: first.data } as IssueEvent);
};

/**
 * Events of an issue's stream, read from the log (not a read model), when the viewer is a member of the issue's
 * organization; null otherwise or when there is no such issue. Every issue event names its organization.
 */
export const visibleIssueEvents = async (
  db: Knex,
  store: StreamReader,
  issueId: string,
  viewerId: string,
  options: ReadStreamOptions = {},
): Promise<IssueStreamEvent[] | null> => {
  if (!isUuid(issueId)) return null;
  const recorded = await store.readStream(issueStream(issueId), options);
  const events = recorded.map((r) => ({ event: { type: r.type, data: r.data } as IssueEvent, recorded: r }));
  // Past the end of a page, the stream's first event still says whose issue it is.
  const named = events[0]?.event ?? (options.fromRevision ? await firstEvent(store, issueId) : undefined);
  if (named === undefined) return null;
  if ((await roleOf(db, named.data.organizationId, viewerId)) === null) return null;
  return events;
};

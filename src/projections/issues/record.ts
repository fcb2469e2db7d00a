import type { Issue, IssueEvent } from '../../domain';
import { issueDecider, isWatchEvent } from '../../domain';
import type { Applied } from '../shared/events';
import { isoTime } from '../shared/sql';

/**
 * An issue as the read model keeps it: the domain's state (folded with the domain's own `evolve`, so the
 * projection, `as_of` and the command side agree) plus what only the log's metadata knows.
 */
export interface IssueRecord {
  state: Issue;
  createdAt: string;
  updatedAt: string;
  /** The stream revision of the last event applied. */
  revision: number;
  /**
   * Its rank among its project's creations in log order, given by `project_rooms` when it applies the creation (no
   * event records it), and `<project key>-<number>`; null when not known (a project from before numbering, until
   * a rebuild, or a fold that did not look it up).
   */
  number: number | null;
  key: string | null;
  /** Its live comments. */
  commentCount: number;
}

const commentDelta = (event: IssueEvent): number =>
  event.type === 'CommentAdded' ? 1 : event.type === 'CommentDeleted' ? -1 : 0;

/** The record after one event; undefined for an event with no creation before it. A deletion sets `state.deleted`. */
export const evolveIssue = (
  record: IssueRecord | undefined,
  { event, recorded }: { event: IssueEvent; recorded: Applied['recorded'] },
): IssueRecord | undefined => {
  if (record === undefined && event.type !== 'IssueCreated') return undefined;
  const at = isoTime(recorded.metadata.occurredAt);
  const state = issueDecider.evolve(record?.state ?? issueDecider.initialState(), event);
  // A tombstone from before tombstones kept the creation time has none: a restore then dates it from itself.
  // Watching is the watcher's own business: the issue itself did not change (comments do count as a change).
  return {
    state,
    createdAt: record?.createdAt || at,
    updatedAt: isWatchEvent(event) && record ? record.updatedAt : at,
    revision: recorded.revision,
    number: record?.number ?? null,
    key: record?.key ?? null,
    commentCount: (record?.commentCount ?? 0) + commentDelta(event),
  };
};

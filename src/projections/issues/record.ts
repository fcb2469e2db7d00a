import type { Issue, IssueEvent } from '../../domain';
import { issueDecider, isWatchEvent } from '../../domain';
import { type AttachmentView, attachmentContentPath } from '../attachments/record';
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
  /**
   * Its live attachments, oldest first, when the fold knows them: from its events (`as_of`), or from the
   * attachments table (`project_rooms` loads them before a batch). Undefined shows none.
   */
  attachments?: AttachmentView[];
}

const commentDelta = (event: IssueEvent): number =>
  event.type === 'CommentAdded' ? 1 : event.type === 'CommentDeleted' ? -1 : 0;

/** The attachments after an event: an addition appends, a removal takes one off, anything else keeps them. */
const attachmentsAfter = (
  attachments: AttachmentView[] | undefined,
  event: IssueEvent,
  at: string,
): AttachmentView[] | undefined => {
  if (event.type === 'AttachmentAdded') {
    const { data } = event;
    return [
      ...(attachments ?? []),
      {
        id: data.attachmentId,
        filename: data.filename,
        content_type: data.contentType,
        size: data.size,
        sha256: data.sha256,
        uploaded_by: data.uploadedBy,
        uploaded_at: at,
        url: attachmentContentPath(data.attachmentId),
      },
    ];
  }
  if (event.type === 'AttachmentRemoved') return attachments?.filter((a) => a.id !== event.data.attachmentId);
  return attachments;
};

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
    attachments: attachmentsAfter(record?.attachments ?? (record === undefined ? [] : undefined), event, at),
  };
};

import type { CommentEvent, IssueEvent, ProjectEvent } from '../../domain';
import { type CommentRecord, commentView } from '../comments/record';
import type { RecordedEvent } from '../../eventstore/port';
import type { RoomMessage } from '../projection';
import { type AttachmentRecord, attachmentView } from '../attachments/record';
import { issueChanges } from '../issues/changes';
import type { IssueRecord } from '../issues/record';
import { type LabelLookup, issueView } from '../issues/view';
import type { ProjectRecord } from '../projects/record';
import { projectView } from '../projects/record';
import { isoTime } from '../shared/sql';

export const projectRoom = (projectId: string): string => `project:${projectId}`;

/** One entry of a project's feed: the message its room was sent, and where it came from. */
export interface ActivityEntry {
  projectId: string;
  organizationId: string;
  recorded: RecordedEvent;
  message: RoomMessage['message'];
}

const envelope = (type: string, recorded: RecordedEvent) => ({
  type,
  position: recorded.position,
  occurred_at: isoTime(recorded.metadata.occurredAt),
  actor_id: recorded.metadata.actorId,
});

/**
 * The message for one issue event, built from the issue as it is right after that event, so each message
 * stands alone (one message per event: every message keeps its own position for resume and deduplication).
 */
export const issueActivity = (
  event: IssueEvent,
  recorded: RecordedEvent,
  after: IssueRecord,
  usernames: ReadonlyMap<string, string>,
  labels: LabelLookup = new Map(),
): ActivityEntry => {
  const { issueId, projectId, organizationId } = event.data;
  const entry = (message: RoomMessage['message']) => ({ projectId, organizationId, recorded, message });
  if (event.type === 'IssueDeleted') {
    return entry({ ...envelope('issue.deleted', recorded), issue_id: issueId, project_id: projectId });
  }
  const issue = issueView(after, usernames, labels);
  if (event.type === 'IssueCreated' || event.type === 'IssueRestored') {
    return entry({
      ...envelope(event.type === 'IssueCreated' ? 'issue.created' : 'issue.restored', recorded),
      issue_id: issueId,
      title: issue.title,
      project_id: projectId,
      issue,
    });
  }
  return entry({
    ...envelope('issue.updated', recorded),
    issue_id: issueId,
    title: issue.title,
    status: issue.status,
    project_id: projectId,
    changes: issueChanges(event, usernames, { labels }),
    issue,
  });
};

const COMMENT_MESSAGES: Record<CommentEvent['type'], string> = {
  CommentAdded: 'comment.created',
  CommentEdited: 'comment.updated',
  CommentDeleted: 'comment.deleted',
};

/**
 * `comment.created` / `comment.updated` with the comment as `GET /issues/{id}/comments/` shows it right after its
 * event; `comment.deleted` with its id and issue only (its text leaves with it).
 */
export const commentActivity = (
  event: CommentEvent,
  recorded: RecordedEvent,
  after: CommentRecord,
  usernames: ReadonlyMap<string, string>,
): ActivityEntry => {
  const { issueId, projectId, organizationId } = event.data;
  const comment =
    event.type === 'CommentDeleted' ? { id: after.id, issue: after.issueId } : commentView(after, usernames);
  return {
    projectId,
    organizationId,
    recorded,
    message: { ...envelope(COMMENT_MESSAGES[event.type], recorded), issue_id: issueId, comment },
  };
};

/** `attachment.added` or `attachment.removed`, with the attachment as it was added. */
export const attachmentActivity = (
  event: Extract<IssueEvent, { type: 'AttachmentAdded' | 'AttachmentRemoved' }>,
  recorded: RecordedEvent,
  attachment: AttachmentRecord,
): ActivityEntry => {
  const { issueId, projectId, organizationId } = event.data;
  return {
    projectId,
    organizationId,
    recorded,
    message: {
      ...envelope(event.type === 'AttachmentAdded' ? 'attachment.added' : 'attachment.removed', recorded),
      issue_id: issueId,
      project_id: projectId,
      attachment: attachmentView(attachment),
    },
  };
};

/** `project.updated` for a change or an archiving; a creation has no room to tell yet. */
export const projectActivity = (
  event: ProjectEvent,
  recorded: RecordedEvent,
  after: ProjectRecord,
): ActivityEntry | null => {
  if (event.type === 'ProjectCreated') return null;
  const { projectId, organizationId } = event.data;
  return {
    projectId,
    organizationId,
    recorded,
    message: { ...envelope('project.updated', recorded), project: projectView(after) },
  };
};

export const roomMessage = (entry: ActivityEntry): RoomMessage => ({
  room: projectRoom(entry.projectId),
  position: entry.recorded.position,
  message: entry.message,
});

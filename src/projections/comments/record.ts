import type { CommentEvent } from '../../domain';
import type { RecordedEvent } from '../../eventstore/port';
import { isoTime } from '../shared/sql';
import { userRef } from '../users/usernames';
import type { UserRef } from '../issues/view';

/** A comment as the read model keeps it (deleted ones too, marked). */
export interface CommentRecord {
  id: string;
  issueId: string;
  projectId: string;
  organizationId: string;
  authorId: string;
  body: string;
  mentionedIds: readonly string[];
  /** Its creation's log position: the list's order. */
  position: string;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
  /** The issue stream's revision of its last event. */
  revision: number;
}

/** The record after one comment event; undefined for an edit or deletion of a comment never seen created. */
export const evolveComment = (
  record: CommentRecord | undefined,
  { event, recorded }: { event: CommentEvent; recorded: RecordedEvent },
): CommentRecord | undefined => {
  const at = isoTime(recorded.metadata.occurredAt);
  switch (event.type) {
    case 'CommentAdded':
      return {
        id: event.data.commentId,
        issueId: event.data.issueId,
        projectId: event.data.projectId,
        organizationId: event.data.organizationId,
        authorId: event.data.authorId,
        body: event.data.body,
        mentionedIds: event.data.mentionedIds,
        position: recorded.position,
        createdAt: at,
        editedAt: null,
        deleted: false,
        revision: recorded.revision,
      };
    case 'CommentEdited':
      return (
        record && {
          ...record,
          body: event.data.body,
          mentionedIds: event.data.mentionedIds,
          editedAt: at,
          revision: recorded.revision,
        }
      );
    case 'CommentDeleted':
      return record && { ...record, deleted: true, revision: recorded.revision };
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
};

/** API.md's comment: `{ id, issue, author: { id, username }, body, created_at, edited_at }`. */
export interface CommentView {
  id: string;
  issue: string;
  author: UserRef;
  body: string;
  created_at: string;
  edited_at: string | null;
}

export const commentView = (record: CommentRecord, usernames: ReadonlyMap<string, string>): CommentView => ({
  id: record.id,
  issue: record.issueId,
  author: userRef(record.authorId, usernames)!,
  body: record.body,
  created_at: record.createdAt,
  edited_at: record.editedAt,
});

import type { Event } from '../shared/decider';

export const issueStream = (issueId: string): string => `issue-${issueId}`;

export const ISSUE_STATUSES = ['open', 'in_progress', 'blocked', 'done'] as const;
export const ISSUE_PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export type IssueStatus = (typeof ISSUE_STATUSES)[number];
export type IssuePriority = (typeof ISSUE_PRIORITIES)[number];

/** Every issue event names its project and organization so projections and rooms need no lookup. */
export interface IssueRef {
  issueId: string;
  projectId: string;
  organizationId: string;
}

/** An issue's own fields, as its creation (and its restoration) records them. */
export interface IssueFields {
  title: string;
  description: string;
  status: IssueStatus;
  priority: IssuePriority;
  /** `YYYY-MM-DD` or null. */
  dueDate: string | null;
  assigneeId: string | null;
  createdBy: string;
  /**
   * Labels of the organization, by id, sorted (schema version 2 of `IssueCreated` and `IssueRestored`; version 1
   * had none). Names and colours live with the labels: a rename shows on every issue at once.
   */
  labelIds: readonly string[];
}

/** One field changed: its new value, and the value it replaced (`previousTitle`, …). */
type FieldChanged<Type extends string, Field extends keyof IssueFields> = Event<
  Type,
  IssueRef & Pick<IssueFields, Field> & Record<`previous${Capitalize<Field>}`, IssueFields[Field]>
>;

export type IssueCreated = Event<'IssueCreated', IssueRef & IssueFields>;
export type IssueTitleChanged = FieldChanged<'IssueTitleChanged', 'title'>;
export type IssueDescriptionChanged = FieldChanged<'IssueDescriptionChanged', 'description'>;
export type IssueStatusChanged = FieldChanged<'IssueStatusChanged', 'status'>;
export type IssuePriorityChanged = FieldChanged<'IssuePriorityChanged', 'priority'>;
export type IssueDueDateChanged = FieldChanged<'IssueDueDateChanged', 'dueDate'>;
/** The whole set before and after (a PATCH of `label_ids` replaces it; a deleted label comes off by one). */
export type IssueLabelsChanged = FieldChanged<'IssueLabelsChanged', 'labelIds'>;
export type IssueAssigned = Event<
  'IssueAssigned',
  IssueRef & { assigneeId: string; previousAssigneeId: string | null }
>;
export type IssueUnassigned = Event<'IssueUnassigned', IssueRef & { previousAssigneeId: string }>;
export type IssueDeleted = Event<'IssueDeleted', IssueRef>;
/**
 * A deleted issue brought back, as it was when deleted: the fields travel with the event, so a reader that kept
 * only a tombstone of the deletion can show the issue again without folding its stream.
 */
export type IssueRestored = Event<'IssueRestored', IssueRef & IssueFields>;

/**
 * A comment on the issue, in the issue's stream (a comment lives and dies with its issue). `body` is trimmed;
 * `mentionedIds` are the members its `@username`s named when it was written, resolved by the command handler
 * (unknown names stay text), each once, in the order first named.
 */
export type CommentAdded = Event<
  'CommentAdded',
  IssueRef & { commentId: string; authorId: string; body: string; mentionedIds: readonly string[] }
>;
/** A new version of a comment (by its author); the previous body and mentions travel with it. */
export type CommentEdited = Event<
  'CommentEdited',
  IssueRef & {
    commentId: string;
    body: string;
    previousBody: string;
    mentionedIds: readonly string[];
    previousMentionedIds: readonly string[];
  }
>;
export type CommentDeleted = Event<'CommentDeleted', IssueRef & { commentId: string; authorId: string }>;
/** A user asked to hear about the issue (again); `userId` is the actor. */
export type IssueWatched = Event<'IssueWatched', IssueRef & { userId: string }>;
/** A user asked not to hear about the issue: it wins over watching automatically until they watch again. */
export type IssueUnwatched = Event<'IssueUnwatched', IssueRef & { userId: string }>;
/**
 * A file attached to the issue: its metadata only (the bytes live in the attachment storage, under `storageKey`,
 * which is content-addressed: `sha256/<hex>`). `contentType` is what it is served as: the type detected from its
 * bytes, else the client's declared type when that is safe, else `application/octet-stream`; `detectedType` and
 * `declaredType` record what was detected and what the client said (null: none).
 */
export type AttachmentAdded = Event<
  'AttachmentAdded',
  IssueRef & {
    attachmentId: string;
    filename: string;
    contentType: string;
    detectedType: string | null;
    declaredType: string | null;
    size: number;
    sha256: string;
    storageKey: string;
    uploadedBy: string;
  }
>;
/** The attachment taken off the issue; its bytes go after the retention period, unless another attachment shares them. */
export type AttachmentRemoved = Event<
  'AttachmentRemoved',
  IssueRef & { attachmentId: string; filename: string; storageKey: string }
>;

export type IssueEvent =
  | IssueCreated
  | IssueTitleChanged
  | IssueDescriptionChanged
  | IssueStatusChanged
  | IssuePriorityChanged
  | IssueDueDateChanged
  | IssueLabelsChanged
  | IssueAssigned
  | IssueUnassigned
  | IssueDeleted
  | IssueRestored
  | CommentAdded
  | CommentEdited
  | CommentDeleted
  | IssueWatched
  | IssueUnwatched
  | AttachmentAdded
  | AttachmentRemoved;

export const ISSUE_EVENT_TYPES = [
  'IssueCreated',
  'IssueTitleChanged',
  'IssueDescriptionChanged',
  'IssueStatusChanged',
  'IssuePriorityChanged',
  'IssueDueDateChanged',
  'IssueLabelsChanged',
  'IssueAssigned',
  'IssueUnassigned',
  'IssueDeleted',
  'IssueRestored',
  'CommentAdded',
  'CommentEdited',
  'CommentDeleted',
  'IssueWatched',
  'IssueUnwatched',
  'AttachmentAdded',
  'AttachmentRemoved',
] as const satisfies readonly IssueEvent['type'][];

/** The comment events: shown in rooms as `comment.*`, in history as `comment` changes. */
export const COMMENT_EVENT_TYPES = ['CommentAdded', 'CommentEdited', 'CommentDeleted'] as const;
export type CommentEvent = CommentAdded | CommentEdited | CommentDeleted;
export const isCommentEvent = (event: IssueEvent): event is CommentEvent =>
  (COMMENT_EVENT_TYPES as readonly string[]).includes(event.type);
export const isWatchEvent = (event: IssueEvent): event is IssueWatched | IssueUnwatched =>
  event.type === 'IssueWatched' || event.type === 'IssueUnwatched';

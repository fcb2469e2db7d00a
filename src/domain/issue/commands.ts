import type { MembershipContext } from '../shared/access';
import type { Command } from '../shared/decider';
import type { IssuePriority, IssueStatus } from './events';

/** What the command handler looked up for the decider; it holds no I/O of its own. */
export interface IssueContext extends MembershipContext {
  /** Whether the requested assignee is a member of the issue's organization; needed only when assigning. */
  assigneeIsMember?: boolean;
  /** Whether the issue's project is archived; needed only when creating. */
  projectArchived?: boolean;
  /** The organization's labels now (deleted ones left out); needed when labels are set, and to restore. */
  labelIds?: ReadonlySet<string>;
}

interface IssueCommandOf<Type extends string, Data> extends Command<Type, Data & { issueId: string }> {
  context: IssueContext;
}

export type CreateIssue = IssueCommandOf<
  'CreateIssue',
  {
    projectId: string;
    organizationId: string;
    title: string;
    description?: string;
    /** Default `open`. */
    status?: IssueStatus;
    /** Default `medium`. */
    priority?: IssuePriority;
    /** `YYYY-MM-DD` or null. */
    dueDate?: string | null;
    assigneeId?: string | null;
    /** Labels of the organization; none by default. */
    labelIds?: readonly string[];
  }
>;
export type ChangeIssueTitle = IssueCommandOf<'ChangeIssueTitle', { title: string }>;
export type ChangeIssueDescription = IssueCommandOf<'ChangeIssueDescription', { description: string }>;
export type ChangeIssueStatus = IssueCommandOf<'ChangeIssueStatus', { status: IssueStatus }>;
export type ChangeIssuePriority = IssueCommandOf<'ChangeIssuePriority', { priority: IssuePriority }>;
export type ChangeIssueDueDate = IssueCommandOf<'ChangeIssueDueDate', { dueDate: string | null }>;
export type AssignIssue = IssueCommandOf<'AssignIssue', { assigneeId: string }>;
export type UnassignIssue = IssueCommandOf<'UnassignIssue', Record<never, never>>;
export type DeleteIssue = IssueCommandOf<'DeleteIssue', Record<never, never>>;
export type RestoreIssue = IssueCommandOf<'RestoreIssue', Record<never, never>>;
/** A file already stored (by its content, `storageKey`) attached to the issue: the command carries its metadata. */
export type AddAttachment = IssueCommandOf<
  'AddAttachment',
  {
    attachmentId: string;
    filename: string;
    contentType: string;
    detectedType: string | null;
    declaredType: string | null;
    size: number;
    sha256: string;
    storageKey: string;
  }
>;
export type RemoveAttachment = IssueCommandOf<'RemoveAttachment', { attachmentId: string }>;

/** The fields a PATCH may change; absent means "leave as is", `assigneeId: null` unassigns. */
export interface IssuePatch {
  title?: string;
  description?: string;
  status?: IssueStatus;
  priority?: IssuePriority;
  dueDate?: string | null;
  assigneeId?: string | null;
  /** The whole set: labels of the organization, in any order, repeats ignored. */
  labelIds?: readonly string[];
}
export type UpdateIssue = IssueCommandOf<'UpdateIssue', IssuePatch>;

/**
 * `mentionedIds`: the members the body's `@username`s name, as the handler resolved them (unknown names and
 * non-members left out); the decider keeps each once, in order.
 */
export type AddComment = IssueCommandOf<
  'AddComment',
  { commentId: string; body: string; mentionedIds: readonly string[] }
>;
export type EditComment = IssueCommandOf<
  'EditComment',
  { commentId: string; body: string; mentionedIds: readonly string[] }
>;
export type DeleteComment = IssueCommandOf<'DeleteComment', { commentId: string }>;
export type WatchIssue = IssueCommandOf<'WatchIssue', Record<never, never>>;
export type UnwatchIssue = IssueCommandOf<'UnwatchIssue', Record<never, never>>;

export type IssueCommand =
  | CreateIssue
  | ChangeIssueTitle
  | ChangeIssueDescription
  | ChangeIssueStatus
  | ChangeIssuePriority
  | ChangeIssueDueDate
  | AssignIssue
  | UnassignIssue
  | DeleteIssue
  | RestoreIssue
  | UpdateIssue
  | AddComment
  | EditComment
  | DeleteComment
  | WatchIssue
  | UnwatchIssue
  | AddAttachment
  | RemoveAttachment;

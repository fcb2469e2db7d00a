import type { CredentialStore } from '../accounts/credentials';
import type {
  AddComment,
  DeleteComment,
  EditComment,
  IssueCommand,
  UnwatchIssue,
  WatchIssue,
} from '../domain/issue/commands';
import { issueDecider } from '../domain/issue/decider';
import { type IssueEvent, issueStream } from '../domain/issue/events';
import { mentionedUsernames } from '../domain/issue/fields';
import { organizationDecider } from '../domain/organization/decider';
import { organizationStream } from '../domain/organization/events';
import type {
  AggregateRunner,
  CommandContext,
  CommandResult,
  ContextReads,
  Creating,
  Requested,
} from './aggregate-runner';
import { newAggregateId } from './ids';

type Result = CommandResult<IssueEvent>;

export interface CommentCommandDeps {
  runner: AggregateRunner;
  /** Usernames to user ids (case-insensitively, as sign-in matches them). */
  credentials: Pick<CredentialStore, 'findByUsername'>;
}

/**
 * The actor's role, and the members of the issue's organization the body's `@username`s name (read from the
 * organization's stream on every attempt, so a mention is of someone who is a member when the comment is
 * written; names of nobody, or of non-members, stay plain text and are not recorded).
 */
const peopleOf = async (
  deps: CommentCommandDeps,
  organizationId: string | null,
  actorId: string,
  body: unknown,
  reads: ContextReads,
) => {
  const organization =
    organizationId === null
      ? null
      : (await deps.runner.current(organizationDecider, organizationStream(organizationId), reads)).state;
  const roleOf = (userId: string) => organization?.members.get(userId) ?? null;
  const names = typeof body === 'string' && roleOf(actorId) !== null ? mentionedUsernames(body) : [];
  const found = await Promise.all(names.map((name) => deps.credentials.findByUsername(name)));
  const mentionedIds = found.flatMap((user) => (user && roleOf(user.userId) !== null ? [user.userId] : []));
  return { context: { actorRole: roleOf(actorId) }, mentionedIds };
};

type CommentRequest = Requested<AddComment | EditComment | DeleteComment | WatchIssue | UnwatchIssue>;

/** Comment and watch commands run on the issue's stream, which names the organization. */
const onIssue = (
  deps: CommentCommandDeps,
  context: CommandContext,
  request: CommentRequest,
): Promise<Result> =>
  deps.runner.run(
    issueDecider,
    issueStream(request.data.issueId),
    context,
    async ({ state }, metadata, reads) => {
      const body = 'body' in request.data ? request.data.body : undefined;
      const people = await peopleOf(
        deps,
        state.exists ? state.organizationId : null,
        metadata.actorId,
        body,
        reads,
      );
      const data =
        'body' in request.data ? { ...request.data, mentionedIds: people.mentionedIds } : request.data;
      return { ...request, data, context: people.context, metadata } as IssueCommand;
    },
  );

type CommentInput = Omit<AddComment['data'], 'mentionedIds'>;

/** Adds a comment; its `@username`s are resolved to members here and recorded by id. */
export const addComment = async (
  deps: CommentCommandDeps,
  context: CommandContext,
  input: Creating<CommentInput, 'commentId'>,
): Promise<Result & { commentId: string }> => {
  const commentId = input.commentId ?? newAggregateId(context.commandId);
  const result = await onIssue(deps, context, {
    type: 'AddComment',
    data: { ...input, commentId, mentionedIds: [] },
  });
  return { ...result, commentId };
};

export const editComment = (
  deps: CommentCommandDeps,
  context: CommandContext,
  input: Omit<EditComment['data'], 'mentionedIds'>,
): Promise<Result> => onIssue(deps, context, { type: 'EditComment', data: { ...input, mentionedIds: [] } });

export const deleteComment = (
  deps: CommentCommandDeps,
  context: CommandContext,
  data: DeleteComment['data'],
): Promise<Result> => onIssue(deps, context, { type: 'DeleteComment', data });

export const watchIssue = (
  deps: CommentCommandDeps,
  context: CommandContext,
  data: WatchIssue['data'],
): Promise<Result> => onIssue(deps, context, { type: 'WatchIssue', data });

export const unwatchIssue = (
  deps: CommentCommandDeps,
  context: CommandContext,
  data: UnwatchIssue['data'],
): Promise<Result> => onIssue(deps, context, { type: 'UnwatchIssue', data });

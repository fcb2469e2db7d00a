import type {
  AddAttachment,
  AssignIssue,
  RemoveAttachment,
  CreateIssue,
  DeleteIssue,
  IssueCommand,
  RestoreIssue,
  UnassignIssue,
  UpdateIssue,
} from '../domain/issue/commands';
import { type Issue, issueDecider } from '../domain/issue/decider';
import { type IssueEvent, issueStream } from '../domain/issue/events';
import { projectDecider } from '../domain/project/decider';
import { projectStream } from '../domain/project/events';
import type { AggregateRunner, CommandContext, CommandResult, Creating, Requested } from './aggregate-runner';
import { newAggregateId } from './ids';
import { membershipContext } from './membership';

type Result = CommandResult<IssueEvent>;

/** What a caller gives to create an issue: the organization is the project's, looked up here. */
export type CreateIssueInput = Creating<Omit<CreateIssue['data'], 'organizationId'>, 'issueId'>;

/**
 * The issue decider gets from here what it cannot know by itself: the project's organization and whether it
 * is archived (from the project stream), the actor's role and whether the assignee is a member (from the
 * organization stream). A project the actor cannot see looks like a project that does not exist.
 */
export const createIssue = async (
  runner: AggregateRunner,
  context: CommandContext,
  input: CreateIssueInput,
): Promise<Result & { issueId: string }> => {
  const issueId = input.issueId ?? newAggregateId(context.commandId);
  const result = await runner.run(
    issueDecider,
    issueStream(issueId),
    context,
    async (_, metadata, reads): Promise<CreateIssue> => {
      const { state: project } = await runner.current(projectDecider, projectStream(input.projectId), reads);
      const organizationId = project.exists ? project.organizationId : null;
      const people = await membershipContext(runner, organizationId, metadata.actorId, input.assigneeId, {
        labels: input.labelIds !== undefined,
        reads,
      });
      return {
        type: 'CreateIssue',
        data: { ...input, issueId, organizationId: project.organizationId },
        context: { ...people, projectArchived: project.archived },
        metadata,
      };
    },
    // A made id names no stream yet; a given one (Idempotency-Key) may, when this is a retry.
    { expectNew: true },
  );
  return { ...result, issueId };
};

/** The assignee a command names, whose membership the decider needs to know. */
const assigneeOf = (request: Requested<IssueCommand>): string | null | undefined =>
  'assigneeId' in request.data ? request.data.assigneeId : undefined;

/** Whether the decider needs the organization's labels: to set them, or to restore an issue without dead ones. */
const needsLabels = (request: Requested<IssueCommand>): boolean =>
  request.type === 'RestoreIssue' || ('labelIds' in request.data && request.data.labelIds !== undefined);

/** Commands on an existing issue learn its organization from the issue's own stream. */
const onIssue = (
  runner: AggregateRunner,
  context: CommandContext,
  request: Requested<IssueCommand>,
): Promise<Result> =>
  runner.run(
    issueDecider,
    issueStream(request.data.issueId),
    context,
    async ({ state }, metadata, reads) => ({
      ...request,
      context: await membershipContext(
        runner,
        state.exists ? state.organizationId : null,
        metadata.actorId,
        assigneeOf(request),
        { labels: needsLabels(request), reads },
      ),
      metadata,
    }),
  );

/** A PATCH: one event per changed field, none when nothing changed. */
export const updateIssue = (
  runner: AggregateRunner,
  context: CommandContext,
  data: UpdateIssue['data'],
): Promise<Result> => onIssue(runner, context, { type: 'UpdateIssue', data });

export const assignIssue = (
  runner: AggregateRunner,
  context: CommandContext,
  data: AssignIssue['data'],
): Promise<Result> => onIssue(runner, context, { type: 'AssignIssue', data });

export const unassignIssue = (
  runner: AggregateRunner,
  context: CommandContext,
  data: UnassignIssue['data'],
): Promise<Result> => onIssue(runner, context, { type: 'UnassignIssue', data });

export const deleteIssue = (
  runner: AggregateRunner,
  context: CommandContext,
  data: DeleteIssue['data'],
): Promise<Result> => onIssue(runner, context, { type: 'DeleteIssue', data });

export const restoreIssue = (
  runner: AggregateRunner,
  context: CommandContext,
  data: RestoreIssue['data'],
): Promise<Result> => onIssue(runner, context, { type: 'RestoreIssue', data });

/** Attaches a file already stored under its content's key: the event records its metadata, never its bytes. */
export const addAttachment = async (
  runner: AggregateRunner,
  context: CommandContext,
  input: Creating<AddAttachment['data'], 'attachmentId'>,
): Promise<Result & { attachmentId: string }> => {
  const data = { ...input, attachmentId: input.attachmentId ?? newAggregateId(context.commandId) };
  const result = await onIssue(runner, context, { type: 'AddAttachment', data });
  return { ...result, attachmentId: data.attachmentId };
};

export const removeAttachment = (
  runner: AggregateRunner,
  context: CommandContext,
  data: RemoveAttachment['data'],
): Promise<Result> => onIssue(runner, context, { type: 'RemoveAttachment', data });

/**
 * Changes an issue on its organization's authority, for a process caused by an organization change (a member's
 * removal, a label's deletion), not for a user: `change` says what to update from the issue as it is now, and
 * nothing when the change no longer applies (the issue was changed since), which records nothing.
 */
const onOrganizationAuthority = (
  runner: AggregateRunner,
  context: CommandContext,
  issueId: string,
  change: (issue: Issue) => Omit<UpdateIssue['data'], 'issueId'>,
): Promise<Result> =>
  runner.run(
    issueDecider,
    issueStream(issueId),
    context,
    ({ state }, metadata): UpdateIssue => ({
      type: 'UpdateIssue',
      data: { issueId, ...change(state) },
      context: { actorRole: state.exists ? 'owner' : null },
      metadata,
    }),
  );

/**
 * Releases an issue held by a user who left the organization (the leaver is no longer a member, and may be the
 * one who asked); an issue that has meanwhile been reassigned or released is left alone.
 */
export const releaseAssignment = (
  runner: AggregateRunner,
  context: CommandContext,
  { issueId, formerMemberId }: { issueId: string; formerMemberId: string },
): Promise<Result> =>
  onOrganizationAuthority(runner, context, issueId, (issue) =>
    issue.assigneeId === formerMemberId ? { assigneeId: null } : {},
  );

/** Takes a deleted label off an issue; an issue that no longer carries it (taken off since, or never) is left alone. */
export const releaseLabel = (
  runner: AggregateRunner,
  context: CommandContext,
  { issueId, labelId }: { issueId: string; labelId: string },
): Promise<Result> =>
  onOrganizationAuthority(runner, context, issueId, (issue) =>
    issue.labelIds.includes(labelId) ? { labelIds: issue.labelIds.filter((id) => id !== labelId) } : {},
  );

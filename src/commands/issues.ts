import type { IssueCommand, IssuePatch } from '../domain/issue/commands';
import { issueDecider } from '../domain/issue/decider';
import { type IssueEvent, type IssuePriority, type IssueStatus, issueStream } from '../domain/issue/events';
import { projectDecider } from '../domain/project/decider';
import { projectStream } from '../domain/project/events';
import type { CommandBus, CommandContext, CommandResult } from './handle';
import { newAggregateId } from './ids';
import { loadMembership } from './membership';

type Result = CommandResult<IssueEvent>;

export interface CreateIssueInput {
  projectId: string;
  title: string;
  description?: string;
  status?: IssueStatus;
  priority?: IssuePriority;
  dueDate?: string | null;
  assigneeId?: string | null;
  issueId?: string;
}

/**
 * The issue decider gets from here what it cannot know by itself: the project's organization and whether it
 * is archived (from the project stream), the actor's role and whether the assignee is a member (from the
 * organization stream). A project the actor cannot see looks like a project that does not exist.
 */
export const createIssue = async (
  bus: CommandBus,
  context: CommandContext,
  input: CreateIssueInput,
): Promise<Result & { issueId: string }> => {
  const issueId = input.issueId ?? newAggregateId(context.commandId);
  const result = await bus.handle(issueDecider, issueStream(issueId), context, async (_, metadata) => {
    const { state: project } = await bus.load(projectDecider, projectStream(input.projectId));
    const membership = project.exists ? await loadMembership(bus, project.organizationId) : null;
    const assigneeId = input.assigneeId ?? null;
    return {
      type: 'CreateIssue' as const,
      data: {
        issueId,
        projectId: input.projectId,
        organizationId: project.organizationId,
        title: input.title,
        description: input.description,
        status: input.status,
        priority: input.priority,
        dueDate: input.dueDate,
        assigneeId,
      },
      context: {
        actorRole: membership?.roleOf(metadata.actorId) ?? null,
        assigneeIsMember: assigneeId === null ? undefined : membership?.roleOf(assigneeId) != null,
        projectArchived: project.archived,
      },
      metadata,
    };
  });
  return { ...result, issueId };
};

const onIssue = (
  bus: CommandBus,
  context: CommandContext,
  issueId: string,
  command: Pick<IssueCommand, 'type' | 'data'>,
  assigneeId?: string | null,
): Promise<Result> =>
  bus.handle(issueDecider, issueStream(issueId), context, async ({ state }, metadata) => {
    const membership = state.exists ? await loadMembership(bus, state.organizationId) : null;
    return {
      ...command,
      context: {
        actorRole: membership?.roleOf(metadata.actorId) ?? null,
        assigneeIsMember: typeof assigneeId === 'string' ? membership?.roleOf(assigneeId) != null : undefined,
      },
      metadata,
    } as IssueCommand;
  });

/** A PATCH: one event per changed field, none when nothing changed. */
export const updateIssue = (
  bus: CommandBus,
  context: CommandContext,
  issueId: string,
  patch: IssuePatch,
): Promise<Result> =>
  onIssue(bus, context, issueId, { type: 'UpdateIssue', data: { issueId, ...patch } }, patch.assigneeId);

export const assignIssue = (
  bus: CommandBus,
  context: CommandContext,
  issueId: string,
  assigneeId: string,
): Promise<Result> =>
  onIssue(bus, context, issueId, { type: 'AssignIssue', data: { issueId, assigneeId } }, assigneeId);

export const unassignIssue = (bus: CommandBus, context: CommandContext, issueId: string): Promise<Result> =>
  onIssue(bus, context, issueId, { type: 'UnassignIssue', data: { issueId } });

export const deleteIssue = (bus: CommandBus, context: CommandContext, issueId: string): Promise<Result> =>
  onIssue(bus, context, issueId, { type: 'DeleteIssue', data: { issueId } });

export const restoreIssue = (bus: CommandBus, context: CommandContext, issueId: string): Promise<Result> =>
  onIssue(bus, context, issueId, { type: 'RestoreIssue', data: { issueId } });

/**
 * Releases an issue held by a user who left the organization. It runs on the organization's authority (the
 * leaver is no longer a member, and may be the one who asked), caused by the removal; an issue that has
 * meanwhile been reassigned or released is left alone.
 */
export const releaseAssignment = (
  bus: CommandBus,
  context: CommandContext,
  issueId: string,
  formerMemberId: string,
): Promise<Result> =>
  bus.handle(issueDecider, issueStream(issueId), context, ({ state }, metadata) => ({
    type: 'UpdateIssue' as const,
    data: { issueId, ...(state.assigneeId === formerMemberId ? { assigneeId: null } : {}) },
    context: { actorRole: state.exists ? ('owner' as const) : null },
    metadata,
  }));

import type { ProjectCommand } from '../domain/project/commands';
import { projectDecider } from '../domain/project/decider';
import { type ProjectEvent, projectStream } from '../domain/project/events';
import type { CommandBus, CommandContext, CommandResult } from './handle';
import { newAggregateId } from './ids';
import { loadMembership } from './membership';

type Result = CommandResult<ProjectEvent>;

export const createProject = async (
  bus: CommandBus,
  context: CommandContext,
  input: { organizationId: string; name: string; description?: string; projectId?: string },
): Promise<Result & { projectId: string }> => {
  const projectId = input.projectId ?? newAggregateId(context.commandId);
  const result = await bus.handle(projectDecider, projectStream(projectId), context, async (_, metadata) => {
    const membership = await loadMembership(bus, input.organizationId);
    return {
      type: 'CreateProject' as const,
      data: {
        projectId,
        organizationId: input.organizationId,
        name: input.name,
        description: input.description,
      },
      context: { actorRole: membership.roleOf(metadata.actorId) },
      metadata,
    };
  });
  return { ...result, projectId };
};

/** Updates and archiving learn the project's organization from the project's own stream. */
const onProject = (
  bus: CommandBus,
  context: CommandContext,
  projectId: string,
  command: Pick<ProjectCommand, 'type' | 'data'>,
): Promise<Result> =>
  bus.handle(projectDecider, projectStream(projectId), context, async ({ state }, metadata) => {
    const membership = state.exists ? await loadMembership(bus, state.organizationId) : null;
    return {
      ...command,
      context: { actorRole: membership?.roleOf(metadata.actorId) ?? null },
      metadata,
    } as ProjectCommand;
  });

export const updateProject = (
  bus: CommandBus,
  context: CommandContext,
  projectId: string,
  patch: { name?: string; description?: string },
): Promise<Result> =>
  onProject(bus, context, projectId, { type: 'UpdateProject', data: { projectId, ...patch } });

export const archiveProject = (
  bus: CommandBus,
  context: CommandContext,
  projectId: string,
): Promise<Result> => onProject(bus, context, projectId, { type: 'ArchiveProject', data: { projectId } });

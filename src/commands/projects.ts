import type {
  ArchiveProject,
  CreateProject,
  ProjectCommand,
  UpdateProject,
} from '../domain/project/commands';
import { projectDecider } from '../domain/project/decider';
import { type ProjectEvent, projectStream } from '../domain/project/events';
import type { AggregateRunner, CommandContext, CommandResult, Creating, Requested } from './aggregate-runner';
import { newAggregateId } from './ids';
import { membershipContext } from './membership';

type Result = CommandResult<ProjectEvent>;

/** The actor's role comes from the organization the project is created in. */
export const createProject = async (
  runner: AggregateRunner,
  context: CommandContext,
  input: Creating<CreateProject['data'], 'projectId'>,
): Promise<Result & { projectId: string }> => {
  const data = { ...input, projectId: input.projectId ?? newAggregateId(context.commandId) };
  const result = await runner.run(
    projectDecider,
    projectStream(data.projectId),
    context,
    async (_, metadata): Promise<CreateProject> => ({
      type: 'CreateProject',
      data,
      context: await membershipContext(runner, data.organizationId, metadata.actorId),
      metadata,
    }),
  );
  return { ...result, projectId: data.projectId };
};

/** Updates and archiving learn the project's organization from the project's own stream. */
const onProject = (
  runner: AggregateRunner,
  context: CommandContext,
  request: Requested<ProjectCommand>,
): Promise<Result> =>
  runner.run(projectDecider, projectStream(request.data.projectId), context, async ({ state }, metadata) => ({
    ...request,
    context: await membershipContext(runner, state.exists ? state.organizationId : null, metadata.actorId),
    metadata,
  }));

export const updateProject = (
  runner: AggregateRunner,
  context: CommandContext,
  data: UpdateProject['data'],
): Promise<Result> => onProject(runner, context, { type: 'UpdateProject', data });

export const archiveProject = (
  runner: AggregateRunner,
  context: CommandContext,
  data: ArchiveProject['data'],
): Promise<Result> => onProject(runner, context, { type: 'ArchiveProject', data });

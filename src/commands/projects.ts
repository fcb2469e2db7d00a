import type {
  ArchiveProject,
  CreateProject,
  ProjectCommand,
  UpdateProject,
} from '../domain/project/commands';
import type { KeyInUse, ReleaseProjectKey, ReserveProjectKey } from '../domain/organization/commands';
import { organizationDecider } from '../domain/organization/decider';
import { organizationStream } from '../domain/organization/events';
import { checkCreateProject, projectDecider } from '../domain/project/decider';
import { type ProjectEvent, projectStream } from '../domain/project/events';
import { DomainError } from '../domain/shared/errors';
import type { AggregateRunner, CommandContext, CommandResult, Creating, Requested } from './aggregate-runner';
import { newAggregateId } from './ids';
import { membershipContext } from './membership';

type Result = CommandResult<ProjectEvent>;

/** The project keys the read models know in an organization: those of projects from before reservations among them. */
export type ProjectKeysInUse = (organizationId: string) => Promise<readonly KeyInUse[]>;

export interface ProjectCommandDeps {
  runner: AggregateRunner;
  keysInUse: ProjectKeysInUse;
}

/**
 * Takes the project's key in its organization's stream (exact: appends there serialize on the stream's revision)
 * and answers it; a reservation the project already holds (a retried creation) is answered again.
 */
const reserveKey = async (
  deps: ProjectCommandDeps,
  context: CommandContext,
  data: ReserveProjectKey['data'],
): Promise<string> => {
  const stream = organizationStream(data.organizationId);
  await deps.runner.run(
    organizationDecider,
    stream,
    { ...context, expectedRevision: undefined },
    async (_, metadata): Promise<ReserveProjectKey> => ({
      type: 'ReserveProjectKey',
      data,
      context: { keysInUse: await deps.keysInUse(data.organizationId) },
      metadata,
    }),
  );
  const { state } = await deps.runner.current(organizationDecider, stream);
  const held = [...state.projectKeys].find(([, projectId]) => projectId === data.projectId);
  if (held === undefined) throw new Error(`no key reserved for project ${data.projectId}`);
  return held[0];
};

/** Frees the key of a creation that failed after its reservation; best effort (a retry of it reserves again). */
const releaseKey = async (
  deps: ProjectCommandDeps,
  context: CommandContext,
  data: ReleaseProjectKey['data'],
): Promise<void> => {
  await deps.runner
    .run(
      organizationDecider,
      organizationStream(data.organizationId),
      { actorId: context.actorId, causationId: context.commandId, correlationId: context.correlationId },
      (_, metadata): ReleaseProjectKey => ({ type: 'ReleaseProjectKey', data, metadata }),
    )
    .catch(() => undefined);
};

/**
 * A project is created in two steps: its key is reserved in the organization's stream (where keys are unique),
 * then `ProjectCreated` carries it. The creation is checked (role, fields) before anything is reserved. Should
 * the second step fail, the key is released, unless the caller can retry under the same command id (an
 * Idempotency-Key) after an outage: the retry then finds its own reservation and completes the creation.
 */
export const createProject = async (
  deps: ProjectCommandDeps,
  context: CommandContext,
  input: Creating<CreateProject['data'], 'projectId'>,
): Promise<Result & { projectId: string }> => {
  const { runner } = deps;
  const data = { ...input, projectId: input.projectId ?? newAggregateId(context.commandId) };
  let reserved = false;
  try {
    const result = await runner.run(
      projectDecider,
      projectStream(data.projectId),
      context,
      async (_, metadata): Promise<CreateProject> => {
        const command: CreateProject = {
          type: 'CreateProject',
          data,
          context: await membershipContext(runner, data.organizationId, metadata.actorId),
          metadata,
        };
        const { name, key } = checkCreateProject(command);
        const reservation = { organizationId: data.organizationId, projectId: data.projectId, name, key };
        // Decided at the same moment as the creation it serves.
        const held = await reserveKey(deps, { ...context, now: metadata.now }, reservation);
        reserved = true;
        return { ...command, data: { ...data, key: held } };
      },
    );
    return { ...result, projectId: data.projectId };
  } catch (error) {
    if (reserved && (context.commandId === undefined || error instanceof DomainError))
      await releaseKey(deps, context, { organizationId: data.organizationId, projectId: data.projectId });
    throw error;
  }
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
  { runner }: ProjectCommandDeps,
  context: CommandContext,
  data: UpdateProject['data'],
): Promise<Result> => onProject(runner, context, { type: 'UpdateProject', data });

export const archiveProject = (
  { runner }: ProjectCommandDeps,
  context: CommandContext,
  data: ArchiveProject['data'],
): Promise<Result> => onProject(runner, context, { type: 'ArchiveProject', data });

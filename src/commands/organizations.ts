import type { OrganizationCommand } from '../domain/organization/commands';
import { organizationDecider } from '../domain/organization/decider';
import { type OrganizationEvent, organizationStream } from '../domain/organization/events';
import type { Role } from '../domain/shared/decider';
import { ValidationError } from '../domain/shared/errors';
import type { CommandBus, CommandContext, CommandResult } from './handle';
import { newAggregateId } from './ids';
import type { CredentialStore } from './users/credentials';

export interface OrganizationCommandDeps {
  bus: CommandBus;
  credentials: CredentialStore;
}

type Result = CommandResult<OrganizationEvent>;

const run = (
  deps: OrganizationCommandDeps,
  organizationId: string,
  context: CommandContext,
  command: Omit<OrganizationCommand, 'metadata'>,
): Promise<Result> =>
  deps.bus.handle(
    organizationDecider,
    organizationStream(organizationId),
    context,
    (_, metadata) =>
      ({
        ...command,
        metadata,
      }) as OrganizationCommand,
  );

export const createOrganization = async (
  deps: OrganizationCommandDeps,
  context: CommandContext,
  input: { name: string; organizationId?: string },
): Promise<Result & { organizationId: string }> => {
  const organizationId = input.organizationId ?? newAggregateId(context.commandId);
  const result = await run(deps, organizationId, context, {
    type: 'CreateOrganization',
    data: { organizationId, name: input.name },
  });
  return { ...result, organizationId };
};

export const renameOrganization = (
  deps: OrganizationCommandDeps,
  context: CommandContext,
  organizationId: string,
  name: string,
): Promise<Result> =>
  run(deps, organizationId, context, { type: 'RenameOrganization', data: { organizationId, name } });

/** The user to add is named by id or username; an unknown user is a 400 on the field that named it. */
export const addMember = async (
  deps: OrganizationCommandDeps,
  context: CommandContext,
  organizationId: string,
  input: { userId?: string; username?: string; role: Role },
): Promise<Result & { userId: string }> => {
  const user = input.userId
    ? await deps.credentials.findById(input.userId)
    : input.username
      ? await deps.credentials.findByUsername(input.username)
      : null;
  if (!user) {
    const field = input.userId ? 'user_id' : 'username';
    throw ValidationError.field(
      field,
      input.userId || input.username ? 'no such user' : 'user_id or username is required',
    );
  }
  const result = await run(deps, organizationId, context, {
    type: 'AddMember',
    data: { organizationId, userId: user.userId, role: input.role },
  });
  return { ...result, userId: user.userId };
};

export const changeMemberRole = (
  deps: OrganizationCommandDeps,
  context: CommandContext,
  organizationId: string,
  userId: string,
  role: Role,
): Promise<Result> =>
  run(deps, organizationId, context, { type: 'ChangeMemberRole', data: { organizationId, userId, role } });

export const removeMember = (
  deps: OrganizationCommandDeps,
  context: CommandContext,
  organizationId: string,
  userId: string,
): Promise<Result> =>
  run(deps, organizationId, context, { type: 'RemoveMember', data: { organizationId, userId } });

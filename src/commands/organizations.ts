import type { OrganizationCommand } from '../domain/organization/commands';
import { authorizeAddMember, organizationDecider } from '../domain/organization/decider';
import { type OrganizationEvent, organizationStream } from '../domain/organization/events';
import type { Role } from '../domain/shared/decider';
import { IllegalStateError, ValidationError } from '../domain/shared/errors';
import type { CommandBus, CommandContext, CommandResult } from './handle';
import { newAggregateId } from './ids';
import type { CredentialStore } from './users/credentials';

/** How many organizations a user belongs to (the memberships read model: a bound, not an invariant). */
export type MembershipCount = (userId: string) => Promise<number>;

export interface OrganizationCommandDeps {
  bus: CommandBus;
  credentials: CredentialStore;
  memberships: {
    count: MembershipCount;
    /** Organizations a user may belong to: lists query each of them, so the number is bounded. */
    limit: number;
  };
}

/**
 * Refuses to make a user a member of one more organization beyond the limit. Counted from the read model, so
 * concurrent additions can pass it by a few: it bounds the work lists do, it is not a business invariant.
 */
const checkMembershipLimit = async (deps: OrganizationCommandDeps, userId: string, who: string) => {
  if ((await deps.memberships.count(userId)) >= deps.memberships.limit) {
    throw new IllegalStateError(
      `${who} already belongs to ${deps.memberships.limit} organizations, the most a user may belong to`,
    );
  }
};

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
  await checkMembershipLimit(deps, context.actorId, 'you');
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

/**
 * The user to add is named by id or username; an unknown user is a 400 on the field that named it. Only a caller
 * who may add members learns whether a user exists: authorization comes first, on the organization's state.
 */
export const addMember = async (
  deps: OrganizationCommandDeps,
  context: CommandContext,
  organizationId: string,
  input: { userId?: string; username?: string; role: Role },
): Promise<Result & { userId: string }> => {
  let userId = '';
  const result = await deps.bus.handle(
    organizationDecider,
    organizationStream(organizationId),
    context,
    async ({ state }, metadata): Promise<OrganizationCommand> => {
      const role = authorizeAddMember(state, metadata.actorId, input.role);
      const user = await findUser(deps, input);
      userId = user.userId;
      if (!state.members.has(userId)) await checkMembershipLimit(deps, userId, 'this user');
      return { type: 'AddMember', data: { organizationId, userId, role }, metadata };
    },
  );
  // A replayed command (the same Idempotency-Key) returns without building: its event names the user.
  return { ...result, userId: userId || memberOf(result.events) };
};

const findUser = async (
  deps: OrganizationCommandDeps,
  input: { userId?: string; username?: string },
): Promise<{ userId: string }> => {
  const user = input.userId
    ? await deps.credentials.findById(input.userId)
    : input.username
      ? await deps.credentials.findByUsername(input.username)
      : null;
  if (user) return user;
  const field = input.userId ? 'user_id' : 'username';
  throw ValidationError.field(
    field,
    input.userId || input.username ? 'no such user' : 'user_id or username is required',
  );
};

const memberOf = (events: readonly OrganizationEvent[]): string => {
  const added = events.find((e) => e.type === 'MemberAdded');
  if (!added) throw new Error('a replayed AddMember without its MemberAdded event');
  return added.data.userId;
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

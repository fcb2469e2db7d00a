import type {
  AddMember,
  ChangeMemberRole,
  CreateOrganization,
  OrganizationCommand,
  RemoveMember,
  RenameOrganization,
} from '../domain/organization/commands';
import { authorizeAddMember, organizationDecider } from '../domain/organization/decider';
import { type OrganizationEvent, organizationStream } from '../domain/organization/events';
import { IllegalStateError, ValidationError } from '../domain/shared/errors';
import type { AggregateRunner, CommandContext, CommandResult, Creating, Requested } from './aggregate-runner';
import { newAggregateId } from './ids';
import type { CredentialStore } from '../accounts/credentials';

/** How many organizations a user belongs to (the memberships read model: a bound, not an invariant). */
export type MembershipCount = (userId: string) => Promise<number>;

export interface OrganizationCommandDeps {
  runner: AggregateRunner;
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

/** Every organization command names its organization, whose stream holds the members and their roles. */
const onOrganization = (
  deps: OrganizationCommandDeps,
  context: CommandContext,
  request: Requested<OrganizationCommand>,
): Promise<Result> =>
  deps.runner.run(
    organizationDecider,
    organizationStream(request.data.organizationId),
    context,
    (_, metadata) => ({ ...request, metadata }),
  );

export const createOrganization = async (
  deps: OrganizationCommandDeps,
  context: CommandContext,
  input: Creating<CreateOrganization['data'], 'organizationId'>,
): Promise<Result & { organizationId: string }> => {
  const data = { ...input, organizationId: input.organizationId ?? newAggregateId(context.commandId) };
  await checkMembershipLimit(deps, context.actorId, 'you');
  const result = await onOrganization(deps, context, { type: 'CreateOrganization', data });
  return { ...result, organizationId: data.organizationId };
};

export const renameOrganization = (
  deps: OrganizationCommandDeps,
  context: CommandContext,
  data: RenameOrganization['data'],
): Promise<Result> => onOrganization(deps, context, { type: 'RenameOrganization', data });

/** The member to add, named by id or by username. */
export type AddMemberInput = Omit<AddMember['data'], 'userId'> & { userId?: string; username?: string };

/**
 * The user to add is named by id or username; an unknown user is a 400 on the field that named it. Only a caller
 * who may add members learns whether a user exists: authorization comes first, on the organization's state.
 */
export const addMember = async (
  deps: OrganizationCommandDeps,
  context: CommandContext,
  input: AddMemberInput,
): Promise<Result & { userId: string }> => {
  const { organizationId } = input;
  let userId = '';
  const result = await deps.runner.run(
    organizationDecider,
    organizationStream(organizationId),
    context,
    async ({ state }, metadata): Promise<AddMember> => {
      const role = authorizeAddMember(state, metadata.actorId, input.role);
      userId = (await findUser(deps, input)).userId;
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
  const field = input.userId ? 'userId' : 'username';
  throw ValidationError.field(
    field,
    input.userId || input.username ? 'no such user' : 'a user id or a username is required',
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
  data: ChangeMemberRole['data'],
): Promise<Result> => onOrganization(deps, context, { type: 'ChangeMemberRole', data });

export const removeMember = (
  deps: OrganizationCommandDeps,
  context: CommandContext,
  data: RemoveMember['data'],
): Promise<Result> => onOrganization(deps, context, { type: 'RemoveMember', data });

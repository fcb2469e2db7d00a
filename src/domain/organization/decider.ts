import type { Decider, Role } from '../shared/decider';
import { ROLES } from '../shared/decider';
import { ForbiddenError, IllegalStateError, NotFoundError } from '../shared/errors';
import { oneOf, trimmedText, validated } from '../shared/validation';
import type { OrganizationCommand } from './commands';
import type { OrganizationEvent } from './events';

export const ORGANIZATION_NAME_MAX = 255;

export interface Organization {
  exists: boolean;
  organizationId: string;
  name: string;
  /** userId → role. Never mutated: `evolve` makes a new map. */
  members: ReadonlyMap<string, Role>;
}

export const initialState = (): Organization => ({
  exists: false,
  organizationId: '',
  name: '',
  members: new Map(),
});

const withMember = (members: ReadonlyMap<string, Role>, userId: string, role: Role) =>
  new Map(members).set(userId, role);

const withoutMember = (members: ReadonlyMap<string, Role>, userId: string) => {
  const next = new Map(members);
  next.delete(userId);
  return next;
};

export const evolve = (state: Organization, event: OrganizationEvent): Organization => {
  switch (event.type) {
    case 'OrganizationCreated':
      return {
        exists: true,
        organizationId: event.data.organizationId,
        name: event.data.name,
        members: new Map([[event.data.ownerId, 'owner']]),
      };
    case 'OrganizationRenamed':
      return { ...state, name: event.data.name };
    case 'MemberAdded':
    case 'MemberRoleChanged':
      return { ...state, members: withMember(state.members, event.data.userId, event.data.role) };
    case 'MemberRemoved':
      return { ...state, members: withoutMember(state.members, event.data.userId) };
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
};

/** The actor's role; a non-member gets NotFoundError, exactly as for an organization that does not exist. */
const actorRole = (state: Organization, actorId: string): Role => {
  const role = state.exists ? state.members.get(actorId) : undefined;
  if (role === undefined) throw new NotFoundError('organization not found');
  return role;
};

const targetRole = (state: Organization, userId: string): Role => {
  const role = state.members.get(userId);
  if (role === undefined) throw new NotFoundError('member not found');
  return role;
};

const isLastOwner = (state: Organization, userId: string): boolean =>
  state.members.get(userId) === 'owner' &&
  [...state.members.values()].filter((role) => role === 'owner').length === 1;

const roleCheck = oneOf(ROLES);
const nameCheck = trimmedText(ORGANIZATION_NAME_MAX);

/**
 * Whether the actor may add a member with this role: NotFound for a non-member, Forbidden for a role that may
 * not. The command side asks this before it looks the new member up, so that a caller who may not add anyone
 * cannot learn from the answer whether a username exists.
 */
export const authorizeAddMember = (state: Organization, actorId: string, role: Role): Role => {
  const actor = actorRole(state, actorId);
  if (actor === 'member') throw new ForbiddenError('a member may not add members');
  const added = validated({ role: roleCheck(role) }).role;
  if (actor === 'manager' && added !== 'member') throw new ForbiddenError('a manager may only add members');
  return added;
};

/**
 * Checks run in one order everywhere: visibility (NotFound), permission (Forbidden),
 * input (Validation), current state (IllegalState), and only then "nothing to change" ([]).
 */
export const decide = (command: OrganizationCommand, state: Organization): OrganizationEvent[] => {
  const { actorId } = command.metadata;
  switch (command.type) {
    case 'CreateOrganization': {
      const { name } = validated({ name: nameCheck(command.data.name) });
      if (state.exists) throw new IllegalStateError('organization already exists');
      const { organizationId } = command.data;
      return [{ type: 'OrganizationCreated', data: { organizationId, name, ownerId: actorId } }];
    }
    case 'RenameOrganization': {
      if (actorRole(state, actorId) !== 'owner') throw new ForbiddenError('only an owner may rename');
      const { name } = validated({ name: nameCheck(command.data.name) });
      if (name === state.name) return [];
      const { organizationId, name: previousName } = state;
      return [{ type: 'OrganizationRenamed', data: { organizationId, name, previousName } }];
    }
    case 'AddMember': {
      const added = authorizeAddMember(state, actorId, command.data.role);
      const { userId } = command.data;
      if (state.members.has(userId)) throw new IllegalStateError('already a member');
      return [{ type: 'MemberAdded', data: { organizationId: state.organizationId, userId, role: added } }];
    }
    case 'ChangeMemberRole': {
      if (actorRole(state, actorId) !== 'owner') throw new ForbiddenError('only an owner may change roles');
      const { role } = validated({ role: roleCheck(command.data.role) });
      const { userId } = command.data;
      const previousRole = targetRole(state, userId);
      if (role === previousRole) return [];
      if (isLastOwner(state, userId)) throw new IllegalStateError('an organization keeps at least one owner');
      return [
        {
          type: 'MemberRoleChanged',
          data: { organizationId: state.organizationId, userId, role, previousRole },
        },
      ];
    }
    case 'RemoveMember': {
      const role = actorRole(state, actorId);
      const { userId } = command.data;
      if (role !== 'owner' && userId !== actorId) {
        throw new ForbiddenError('only an owner may remove another member');
      }
      const previousRole = targetRole(state, userId);
      if (isLastOwner(state, userId)) throw new IllegalStateError('an organization keeps at least one owner');
      return [
        { type: 'MemberRemoved', data: { organizationId: state.organizationId, userId, previousRole } },
      ];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
};

export const organizationDecider: Decider<OrganizationCommand, OrganizationEvent, Organization> = {
  decide,
  evolve,
  initialState,
};

import type { Decider, Role } from '../shared/decider';
import { ROLES } from '../shared/decider';
import { ForbiddenError, IllegalStateError, NotFoundError } from '../shared/errors';
import { ifGiven, oneOf, trimmedText, validated } from '../shared/validation';
import { canManage } from '../shared/access';
import { deriveProjectKey, keyId, numberedKey, projectKeyCheck } from '../project/key';
import { PROJECT_NAME_MAX } from '../project/decider';
import type {
  CreateLabel,
  DeleteLabel,
  OrganizationCommand,
  ReleaseProjectKey,
  ReserveProjectKey,
  UpdateLabel,
} from './commands';
import type { LabelUpdated, OrganizationEvent } from './events';
import type { Label } from './labels';
import { labelColorCheck, labelNameCheck, labelNamed } from './labels';

export const ORGANIZATION_NAME_MAX = 255;

export interface Organization {
  exists: boolean;
  organizationId: string;
  name: string;
  /** userId → role. Never mutated: `evolve` makes a new map. */
  members: ReadonlyMap<string, Role>;
  /** Reserved project keys (in capitals) → the project holding each. */
  projectKeys: ReadonlyMap<string, string>;
  /** labelId → label, deleted ones left out. */
  labels: ReadonlyMap<string, Label>;
}

export const initialState = (): Organization => ({
  exists: false,
  organizationId: '',
  name: '',
  members: new Map(),
  projectKeys: new Map(),
  labels: new Map(),
});

const without = <K, V>(map: ReadonlyMap<K, V>, key: K): Map<K, V> => {
  const next = new Map(map);
  next.delete(key);
  return next;
};

const withMember = (members: ReadonlyMap<string, Role>, userId: string, role: Role) =>
  new Map(members).set(userId, role);

export const evolve = (state: Organization, event: OrganizationEvent): Organization => {
  switch (event.type) {
    case 'OrganizationCreated':
      return {
        ...initialState(),
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
      return { ...state, members: without(state.members, event.data.userId) };
    case 'ProjectKeyReserved':
      return {
        ...state,
        projectKeys: new Map(state.projectKeys).set(keyId(event.data.key), event.data.projectId),
      };
    case 'ProjectKeyReleased':
      return { ...state, projectKeys: without(state.projectKeys, keyId(event.data.key)) };
    case 'LabelCreated': {
      const { labelId, name, color } = event.data;
      return { ...state, labels: new Map(state.labels).set(labelId, { labelId, name, color }) };
    }
    case 'LabelUpdated': {
      const label = state.labels.get(event.data.labelId);
      if (label === undefined) return state;
      const { name, color } = event.data.changes;
      const updated = { ...label, name: name?.to ?? label.name, color: color?.to ?? label.color };
      return { ...state, labels: new Map(state.labels).set(label.labelId, updated) };
    }
    case 'LabelDeleted':
      return { ...state, labels: without(state.labels, event.data.labelId) };
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
const projectNameCheck = trimmedText(PROJECT_NAME_MAX);

const requireManager = (state: Organization, actorId: string, action: string): void => {
  if (!canManage(actorRole(state, actorId)))
    throw new ForbiddenError(`only an owner or a manager may ${action}`);
};

/** Who holds a key: a reservation in this stream, else a project the read models know from before reservations. */
const holderOf = (state: Organization, command: ReserveProjectKey, key: string): string | undefined =>
  state.projectKeys.get(keyId(key)) ??
  command.context?.keysInUse.find((k) => keyId(k.key) === keyId(key))?.projectId;

const reserveProjectKey = (command: ReserveProjectKey, state: Organization): OrganizationEvent[] => {
  requireManager(state, command.metadata.actorId, 'create a project');
  const input = validated({
    name: projectNameCheck(command.data.name),
    key: ifGiven(command.data.key, projectKeyCheck),
  });
  const { projectId } = command.data;
  if ([...state.projectKeys.values()].includes(projectId)) return [];
  const taken = (key: string) => {
    const holder = holderOf(state, command, key);
    return holder !== undefined && holder !== projectId;
  };
  let key = input.key;
  if (key !== undefined && taken(key)) {
    throw new IllegalStateError(`the key ${key} is taken by another project of the organization`);
  }
  if (key === undefined) {
    const base = deriveProjectKey(input.name);
    // Each taken candidate is a reservation or a known key, so a free one comes within their number plus one.
    for (let n = 1; key === undefined; n++) if (!taken(numberedKey(base, n))) key = numberedKey(base, n);
  }
  return [{ type: 'ProjectKeyReserved', data: { organizationId: state.organizationId, projectId, key } }];
};

const releaseProjectKey = (command: ReleaseProjectKey, state: Organization): OrganizationEvent[] => {
  requireManager(state, command.metadata.actorId, 'create a project');
  const { projectId } = command.data;
  const held = [...state.projectKeys].find(([, holder]) => holder === projectId);
  if (held === undefined) return [];
  return [
    { type: 'ProjectKeyReleased', data: { organizationId: state.organizationId, projectId, key: held[0] } },
  ];
};

const createLabel = (command: CreateLabel, state: Organization): OrganizationEvent[] => {
  requireManager(state, command.metadata.actorId, 'create labels');
  const { name, color } = validated({
    name: labelNameCheck(command.data.name),
    color: labelColorCheck(command.data.color),
  });
  const { labelId } = command.data;
  if (state.labels.has(labelId)) throw new IllegalStateError('label already exists');
  if (labelNamed(state.labels, name))
    throw new IllegalStateError(`the organization has a label named ${name}`);
  return [{ type: 'LabelCreated', data: { organizationId: state.organizationId, labelId, name, color } }];
};

/** The label, or NotFoundError; members see labels, so only a non-member (before this) never learns of one. */
const labelOf = (state: Organization, actorId: string, labelId: string): Label => {
  actorRole(state, actorId);
  const label = state.labels.get(labelId);
  if (label === undefined) throw new NotFoundError('label not found');
  return label;
};

const updateLabel = (command: UpdateLabel, state: Organization): OrganizationEvent[] => {
  const label = labelOf(state, command.metadata.actorId, command.data.labelId);
  requireManager(state, command.metadata.actorId, 'change labels');
  const input = validated({
    name: ifGiven(command.data.name, labelNameCheck),
    color: ifGiven(command.data.color, labelColorCheck),
  });
  const changes: LabelUpdated['data']['changes'] = {};
  if (input.name !== undefined && input.name !== label.name) {
    if (labelNamed(state.labels, input.name, label.labelId)) {
      throw new IllegalStateError(`the organization has a label named ${input.name}`);
    }
    changes.name = { from: label.name, to: input.name };
  }
  if (input.color !== undefined && input.color !== label.color) {
    changes.color = { from: label.color, to: input.color };
  }
  if (changes.name === undefined && changes.color === undefined) return [];
  return [
    {
      type: 'LabelUpdated',
      data: { organizationId: state.organizationId, labelId: label.labelId, changes },
    },
  ];
};

const deleteLabel = (command: DeleteLabel, state: Organization): OrganizationEvent[] => {
  const label = labelOf(state, command.metadata.actorId, command.data.labelId);
  requireManager(state, command.metadata.actorId, 'delete labels');
  const { labelId, name, color } = label;
  return [{ type: 'LabelDeleted', data: { organizationId: state.organizationId, labelId, name, color } }];
};

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
    case 'ReserveProjectKey':
      return reserveProjectKey(command, state);
    case 'ReleaseProjectKey':
      return releaseProjectKey(command, state);
    case 'CreateLabel':
      return createLabel(command, state);
    case 'UpdateLabel':
      return updateLabel(command, state);
    case 'DeleteLabel':
      return deleteLabel(command, state);
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

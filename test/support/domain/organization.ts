import type { Role } from '../../../src/domain/shared/decider';
import type {
  AddMember,
  ChangeMemberRole,
  CreateLabel,
  CreateOrganization,
  DeleteLabel,
  KeyInUse,
  ReleaseProjectKey,
  RemoveMember,
  RenameOrganization,
  ReserveProjectKey,
  UpdateLabel,
} from '../../../src/domain/organization/commands';
import { organizationDecider } from '../../../src/domain/organization/decider';
import type {
  LabelCreated,
  LabelDeleted,
  LabelUpdated,
  MemberAdded,
  MemberRemoved,
  MemberRoleChanged,
  OrganizationCreated,
  OrganizationRenamed,
  ProjectKeyReleased,
  ProjectKeyReserved,
} from '../../../src/domain/organization/events';
import { by, MANAGER, MEMBER, ORG, OWNER } from './ids';
import { specFor } from './spec';

export const { given } = specFor(organizationDecider);

export const organizationCreated = (ownerId = OWNER, name = 'Acme'): OrganizationCreated => ({
  type: 'OrganizationCreated',
  data: { organizationId: ORG, name, ownerId },
});
export const organizationRenamed = (name: string, previousName: string): OrganizationRenamed => ({
  type: 'OrganizationRenamed',
  data: { organizationId: ORG, name, previousName },
});
export const memberAdded = (userId: string, role: Role): MemberAdded => ({
  type: 'MemberAdded',
  data: { organizationId: ORG, userId, role },
});
export const memberRoleChanged = (userId: string, role: Role, previousRole: Role): MemberRoleChanged => ({
  type: 'MemberRoleChanged',
  data: { organizationId: ORG, userId, role, previousRole },
});
export const memberRemoved = (userId: string, previousRole: Role): MemberRemoved => ({
  type: 'MemberRemoved',
  data: { organizationId: ORG, userId, previousRole },
});

/** Acme with one owner, one manager and one member. */
export const acme = [organizationCreated(), memberAdded(MANAGER, 'manager'), memberAdded(MEMBER, 'member')];

export const createOrganization = (name: string, actorId = OWNER): CreateOrganization => ({
  type: 'CreateOrganization',
  data: { organizationId: ORG, name },
  metadata: by(actorId),
});
export const renameOrganization = (name: string, actorId = OWNER): RenameOrganization => ({
  type: 'RenameOrganization',
  data: { organizationId: ORG, name },
  metadata: by(actorId),
});
export const addMember = (userId: string, role: Role, actorId = OWNER): AddMember => ({
  type: 'AddMember',
  data: { organizationId: ORG, userId, role },
  metadata: by(actorId),
});
export const changeMemberRole = (userId: string, role: Role, actorId = OWNER): ChangeMemberRole => ({
  type: 'ChangeMemberRole',
  data: { organizationId: ORG, userId, role },
  metadata: by(actorId),
});
export const removeMember = (userId: string, actorId = OWNER): RemoveMember => ({
  type: 'RemoveMember',
  data: { organizationId: ORG, userId },
  metadata: by(actorId),
});

export const keyReserved = (projectId: string, key: string): ProjectKeyReserved => ({
  type: 'ProjectKeyReserved',
  data: { organizationId: ORG, projectId, key },
});
export const keyReleased = (projectId: string, key: string): ProjectKeyReleased => ({
  type: 'ProjectKeyReleased',
  data: { organizationId: ORG, projectId, key },
});
export const reserveProjectKey = (
  projectId: string,
  fields: { name: string; key?: string },
  actorId = MANAGER,
  keysInUse: readonly KeyInUse[] = [],
): ReserveProjectKey => ({
  type: 'ReserveProjectKey',
  data: { organizationId: ORG, projectId, ...fields },
  metadata: by(actorId),
  context: { keysInUse },
});
export const releaseProjectKey = (projectId: string, actorId = MANAGER): ReleaseProjectKey => ({
  type: 'ReleaseProjectKey',
  data: { organizationId: ORG, projectId },
  metadata: by(actorId),
});

export const labelCreated = (labelId: string, name: string, color = '#ff0000'): LabelCreated => ({
  type: 'LabelCreated',
  data: { organizationId: ORG, labelId, name, color },
});
export const labelUpdated = (labelId: string, changes: LabelUpdated['data']['changes']): LabelUpdated => ({
  type: 'LabelUpdated',
  data: { organizationId: ORG, labelId, changes },
});
export const labelDeleted = (labelId: string, name: string, color = '#ff0000'): LabelDeleted => ({
  type: 'LabelDeleted',
  data: { organizationId: ORG, labelId, name, color },
});
export const createLabel = (
  labelId: string,
  fields: { name: string; color: string },
  actorId = MANAGER,
): CreateLabel => ({
  type: 'CreateLabel',
  data: { organizationId: ORG, labelId, ...fields },
  metadata: by(actorId),
});
export const updateLabel = (
  labelId: string,
  fields: { name?: string; color?: string },
  actorId = MANAGER,
): UpdateLabel => ({
  type: 'UpdateLabel',
  data: { organizationId: ORG, labelId, ...fields },
  metadata: by(actorId),
});
export const deleteLabel = (labelId: string, actorId = MANAGER): DeleteLabel => ({
  type: 'DeleteLabel',
  data: { organizationId: ORG, labelId },
  metadata: by(actorId),
});

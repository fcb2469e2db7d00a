import type { Role } from '../../../src/domain/shared/decider';
import type {
  AddMember,
  ChangeMemberRole,
  CreateOrganization,
  RemoveMember,
  RenameOrganization,
} from '../../../src/domain/organization/commands';
import { organizationDecider } from '../../../src/domain/organization/decider';
import type {
  MemberAdded,
  MemberRemoved,
  MemberRoleChanged,
  OrganizationCreated,
  OrganizationRenamed,
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

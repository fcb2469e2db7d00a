import type { Command, Role } from '../shared/decider';

/** Every command names the organization, so the handler knows which stream to load. */
export type CreateOrganization = Command<'CreateOrganization', { organizationId: string; name: string }>;
export type RenameOrganization = Command<'RenameOrganization', { organizationId: string; name: string }>;
/** Whether `userId` is a registered user is the handler's check; the decider guards the membership rules. */
export type AddMember = Command<'AddMember', { organizationId: string; userId: string; role: Role }>;
export type ChangeMemberRole = Command<
  'ChangeMemberRole',
  { organizationId: string; userId: string; role: Role }
>;
export type RemoveMember = Command<'RemoveMember', { organizationId: string; userId: string }>;

export type OrganizationCommand =
  | CreateOrganization
  | RenameOrganization
  | AddMember
  | ChangeMemberRole
  | RemoveMember;

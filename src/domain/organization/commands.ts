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

/** A project key in use that the organization's stream has no reservation of (a project created before keys). */
export interface KeyInUse {
  projectId: string;
  key: string;
}

/**
 * Reserves the key of a project about to be created: `key` as given (refused when taken), or, absent, the first free
 * of the key its `name` suggests, then `KEY2`, `KEY3`, … Reserving again for the same project changes nothing.
 */
export interface ReserveProjectKey
  extends Command<
    'ReserveProjectKey',
    { organizationId: string; projectId: string; name: string; key?: string }
  > {
  /** Keys the read models know of projects created before keys were reserved here (exact once they caught up). */
  context?: { keysInUse: readonly KeyInUse[] };
}
/** Frees the key of a project whose creation failed after its reservation. */
export type ReleaseProjectKey = Command<'ReleaseProjectKey', { organizationId: string; projectId: string }>;
export type CreateLabel = Command<
  'CreateLabel',
  { organizationId: string; labelId: string; name: string; color: string }
>;
/** A PATCH: absent fields stay as they are. */
export type UpdateLabel = Command<
  'UpdateLabel',
  { organizationId: string; labelId: string; name?: string; color?: string }
>;
export type DeleteLabel = Command<'DeleteLabel', { organizationId: string; labelId: string }>;

export type OrganizationCommand =
  | CreateOrganization
  | RenameOrganization
  | AddMember
  | ChangeMemberRole
  | RemoveMember
  | ReserveProjectKey
  | ReleaseProjectKey
  | CreateLabel
  | UpdateLabel
  | DeleteLabel;

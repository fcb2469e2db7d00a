import type { Event, Role } from '../shared/decider';

export const organizationStream = (organizationId: string): string => `organization-${organizationId}`;

/** The creator becomes the organization's first owner. */
export type OrganizationCreated = Event<
  'OrganizationCreated',
  { organizationId: string; name: string; ownerId: string }
>;
export type OrganizationRenamed = Event<
  'OrganizationRenamed',
  { organizationId: string; name: string; previousName: string }
>;
export type MemberAdded = Event<'MemberAdded', { organizationId: string; userId: string; role: Role }>;
export type MemberRoleChanged = Event<
  'MemberRoleChanged',
  { organizationId: string; userId: string; role: Role; previousRole: Role }
>;
export type MemberRemoved = Event<
  'MemberRemoved',
  { organizationId: string; userId: string; previousRole: Role }
>;

export type OrganizationEvent =
  | OrganizationCreated
  | OrganizationRenamed
  | MemberAdded
  | MemberRoleChanged
  | MemberRemoved;

export const ORGANIZATION_EVENT_TYPES = [
  'OrganizationCreated',
  'OrganizationRenamed',
  'MemberAdded',
  'MemberRoleChanged',
  'MemberRemoved',
] as const satisfies readonly OrganizationEvent['type'][];

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

/**
 * A project key taken in the organization, before its project is created (`ProjectCreated` carries it too): keys
 * are unique in an organization, and only its stream sees every reservation in order.
 */
export type ProjectKeyReserved = Event<
  'ProjectKeyReserved',
  { organizationId: string; projectId: string; key: string }
>;
/** A reservation whose project was never created (its creation failed after the reservation): the key is free. */
export type ProjectKeyReleased = Event<
  'ProjectKeyReleased',
  { organizationId: string; projectId: string; key: string }
>;
/** Labels belong to the organization (their names are unique in it); issues name them by id. */
export type LabelCreated = Event<
  'LabelCreated',
  { organizationId: string; labelId: string; name: string; color: string }
>;
/** Only the fields that changed are present, each with its value before. */
export type LabelUpdated = Event<
  'LabelUpdated',
  {
    organizationId: string;
    labelId: string;
    changes: { name?: { from: string; to: string }; color?: { from: string; to: string } };
  }
>;
/** Issues that carry the label lose it afterwards, each by an event of its own (the label-removals process). */
export type LabelDeleted = Event<
  'LabelDeleted',
  { organizationId: string; labelId: string; name: string; color: string }
>;

export type OrganizationEvent =
  | OrganizationCreated
  | OrganizationRenamed
  | MemberAdded
  | MemberRoleChanged
  | MemberRemoved
  | ProjectKeyReserved
  | ProjectKeyReleased
  | LabelCreated
  | LabelUpdated
  | LabelDeleted;

export const ORGANIZATION_EVENT_TYPES = [
  'OrganizationCreated',
  'OrganizationRenamed',
  'MemberAdded',
  'MemberRoleChanged',
  'MemberRemoved',
  'ProjectKeyReserved',
  'ProjectKeyReleased',
  'LabelCreated',
  'LabelUpdated',
  'LabelDeleted',
] as const satisfies readonly OrganizationEvent['type'][];

export const LABEL_EVENT_TYPES = [
  'LabelCreated',
  'LabelUpdated',
  'LabelDeleted',
] as const satisfies readonly OrganizationEvent['type'][];

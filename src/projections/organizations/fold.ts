import type { OrganizationEvent, Role } from '../../domain';
import type { Applied } from '../shared/events';

export interface OrganizationRecord {
  id: string;
  name: string;
  createdAt: string;
  memberCount: number;
  revision: number;
}

/** The last thing a batch did to one membership: only the final state of each is written. */
export type MembershipChange =
  | { kind: 'join'; organizationId: string; userId: string; role: Role; joinedAt: string }
  | { kind: 'role'; organizationId: string; userId: string; role: Role }
  | { kind: 'leave'; organizationId: string; userId: string };

export interface OrganizationBatch {
  organizations: Map<string, OrganizationRecord>;
  memberships: Map<string, MembershipChange>;
}

const key = (organizationId: string, userId: string) => `${organizationId}/${userId}`;

const setRole = (
  changes: Map<string, MembershipChange>,
  organizationId: string,
  userId: string,
  role: Role,
) => {
  const before = changes.get(key(organizationId, userId));
  // A role change after a join in the same batch is still a join, with the new role.
  const change: MembershipChange =
    before?.kind === 'join' ? { ...before, role } : { kind: 'role', organizationId, userId, role };
  changes.set(key(organizationId, userId), change);
};

/**
 * Folds a batch over the organizations it touches, skipping every event at or below the stream revision
 * already applied (so a replayed batch changes nothing). `loaded` holds the rows as they are before the batch.
 */
export const foldOrganizations = (
  loaded: ReadonlyMap<string, OrganizationRecord>,
  events: readonly Applied<OrganizationEvent>[],
): OrganizationBatch => {
  const organizations = new Map<string, OrganizationRecord>();
  const memberships = new Map<string, MembershipChange>();
  for (const { event, recorded } of events) {
    const { organizationId } = event.data;
    const current = organizations.get(organizationId) ?? loaded.get(organizationId);
    if (recorded.revision <= (current?.revision ?? -1)) continue;
    const at = recorded.metadata.occurredAt;
    const revision = recorded.revision;
    if (event.type === 'OrganizationCreated') {
      const { name, ownerId } = event.data;
      organizations.set(organizationId, {
        id: organizationId,
        name,
        createdAt: at,
        memberCount: 1,
        revision,
      });
      memberships.set(key(organizationId, ownerId), {
        kind: 'join',
        organizationId,
        userId: ownerId,
        role: 'owner',
        joinedAt: at,
      });
      continue;
    }
    if (current === undefined) continue; // no creation seen: nothing to attach the event to
    let next: OrganizationRecord = { ...current, revision };
    switch (event.type) {
      case 'OrganizationRenamed':
        next = { ...next, name: event.data.name };
        break;
      case 'MemberAdded': {
        const { userId, role } = event.data;
        memberships.set(key(organizationId, userId), {
          kind: 'join',
          organizationId,
          userId,
          role,
          joinedAt: at,
        });
        next = { ...next, memberCount: next.memberCount + 1 };
        break;
      }
      case 'MemberRoleChanged':
        setRole(memberships, organizationId, event.data.userId, event.data.role);
        break;
      case 'MemberRemoved': {
        const { userId } = event.data;
        memberships.set(key(organizationId, userId), { kind: 'leave', organizationId, userId });
        next = { ...next, memberCount: next.memberCount - 1 };
        break;
      }
      // Keys are the projects' (ProjectCreated carries them): the reservations only guard their uniqueness. Labels
      // are `project_rooms`' (its messages name them as they were at each event).
      case 'ProjectKeyReserved':
      case 'ProjectKeyReleased':
      case 'LabelCreated':
      case 'LabelUpdated':
      case 'LabelDeleted':
        break;
      default: {
        const unknown: never = event;
        throw new Error(`unknown event ${JSON.stringify(unknown)}`);
      }
    }
    organizations.set(organizationId, next);
  }
  return { organizations, memberships };
};

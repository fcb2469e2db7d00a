import type { Knex } from 'knex';
import type { OrganizationEvent, Role } from '../../domain';
import { organizationStream } from '../../domain';
import type { StreamReader } from '../../eventstore/port';
import { roleOf } from '../organizations/roles';
import { isUuid } from '../shared/ids';
import { isoTime } from '../shared/sql';
import { usernamesOf } from '../users/usernames';
import { type AsOf, asPoint, upTo } from './point';

/** An organization as it was: its name, and its members with their roles and when they joined. */
export interface OrganizationThen {
  id: string;
  name: string;
  createdAt: string;
  revision: number;
  members: Map<string, { role: Role; joinedAt: string }>;
}

const fold = (events: readonly { event: OrganizationEvent; at: string; revision: number }[]) => {
  let then: OrganizationThen | null = null;
  for (const { event, at, revision } of events) {
    if (event.type === 'OrganizationCreated') {
      const { organizationId, name, ownerId } = event.data;
      then = {
        id: organizationId,
        name,
        createdAt: at,
        revision,
        members: new Map([[ownerId, { role: 'owner', joinedAt: at }]]),
      };
      continue;
    }
    if (then === null) continue;
    then.revision = revision;
    if (event.type === 'OrganizationRenamed') then.name = event.data.name;
    else if (event.type === 'MemberAdded')
      then.members.set(event.data.userId, { role: event.data.role, joinedAt: at });
    else if (event.type === 'MemberRoleChanged') {
      const member = then.members.get(event.data.userId);
      if (member) member.role = event.data.role;
    } else if (event.type === 'MemberRemoved') then.members.delete(event.data.userId);
  }
  return then;
};

/**
 * The organization as it was at the point, folded from its stream; null when it did not exist then, or when the
 * viewer is not a member of it now (visibility is today's: history is shown to today's members).
 */
export const organizationAsOf = async (
  db: Knex,
  streams: StreamReader,
  organizationId: string,
  viewerId: string,
  asOf: string | AsOf,
): Promise<OrganizationThen | null> => {
  const point = asPoint(asOf);
  if (!isUuid(organizationId) || (await roleOf(db, organizationId, viewerId)) === null) return null;
  const recorded = await streams.readStream(organizationStream(organizationId));
  const events = upTo(
    point,
    recorded.map((r) => ({ recorded: r })),
  ).map(({ recorded: r }) => ({
    event: { type: r.type, data: r.data } as OrganizationEvent,
    at: isoTime(r.metadata.occurredAt),
    revision: r.revision,
  }));
  return fold(events);
};

/** The members of an organization as they were, in the order they joined, as `GET …/members/` shows them. */
export const membersThen = async (db: Knex, then: OrganizationThen) => {
  const usernames = await usernamesOf(db, [...then.members.keys()]);
  return [...then.members]
    .map(([id, { role, joinedAt }]) => ({
      user: { id, username: usernames.get(id) ?? null },
      role,
      joined_at: joinedAt,
    }))
    .sort((a, b) =>
      a.joined_at === b.joined_at ? (a.user.id < b.user.id ? -1 : 1) : a.joined_at < b.joined_at ? -1 : 1,
    );
};

import type { Knex } from 'knex';
import type { OrganizationEvent, Role } from '../../domain';
import { organizationStream } from '../../domain';
import type { StreamReader } from '../../eventstore/port';
import { roleOf } from '../organizations/roles';
import { isUuid } from '../shared/ids';
import { encodeCursor } from '../shared/cursor';
import { MAX_LIMIT, type Page, type PageRequest, readPageRequest, toPage } from '../shared/page';
import { isoTime } from '../shared/sql';
import { isIsoTime } from '../shared/values';
import type { MemberView } from '../organizations/members';
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

const byJoining = (a: [string, { joinedAt: string }], b: [string, { joinedAt: string }]) =>
  a[1].joinedAt === b[1].joinedAt ? (a[0] < b[0] ? -1 : 1) : a[1].joinedAt < b[1].joinedAt ? -1 : 1;

/** The members of an organization as they were, in the order they joined, as `GET …/members/` shows them. */
export const membersThen = async (db: Knex, then: OrganizationThen): Promise<MemberView[]> =>
  (await membersPageThen(db, then, { limit: MAX_LIMIT })).results;

const memberKey = (key: ReadonlyArray<unknown>) =>
  key.length === 2 && isIsoTime(key[0]) && typeof key[1] === 'string' && isUuid(key[1]);

/** One keyset page of the members as they were (the same order and cursors' shape as the live list). */
export const membersPageThen = async (
  db: Knex,
  then: OrganizationThen,
  request: PageRequest,
): Promise<Page<MemberView>> => {
  const { limit, after } = readPageRequest(request, 'members', memberKey);
  const [joined = '', id = ''] = (after ?? []) as string[];
  const rows = [...then.members]
    .sort(byJoining)
    .filter(([userId, m]) => after === null || m.joinedAt > joined || (m.joinedAt === joined && userId > id))
    .slice(0, limit + 1);
  const usernames = await usernamesOf(
    db,
    rows.map(([userId]) => userId),
  );
  return toPage(
    rows,
    limit,
    ([userId, { role, joinedAt }]) => ({
      user: { id: userId, username: usernames.get(userId) ?? null },
      role,
      joined_at: joinedAt,
    }),
    ([userId, { joinedAt }]) => encodeCursor({ ordering: 'members', key: [joinedAt, userId] }),
  );
};

/**
 * `GET /organizations/{id}/?as_of=` as it was: its name and member count then, and the caller's role then (their
 * role today when they were not a member then: visibility is today's).
 */
export const organizationThenView = async (db: Knex, then: OrganizationThen, viewerId: string) => ({
  id: then.id,
  name: then.name,
  created_at: then.createdAt,
  role: then.members.get(viewerId)?.role ?? (await roleOf(db, then.id, viewerId)),
  member_count: then.members.size,
});

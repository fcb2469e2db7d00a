import type { Knex } from 'knex';
import type { Role } from '../../domain';
import { encodeCursor } from '../shared/cursor';
import { isUuid } from '../shared/ids';
import type { Page, PageRequest } from '../shared/page';
import { readPageRequest, toPage } from '../shared/page';
import { isoTime, timeText } from '../shared/sql';
import { isIsoTime } from '../shared/values';
import { membershipList } from './paging';
import { roleOf } from './roles';

/** A member as other members see them: no email (a member's email is theirs to show, in `/me/`). */
export interface MemberView {
  user: { id: string; username: string | null };
  role: Role;
  joined_at: string;
}

/** `GET /memberships/`: `organization` is the organization's id. */
export interface MembershipView {
  organization: string;
  role: Role;
  joined_at: string;
}

const memberKey = (key: ReadonlyArray<unknown>) => key.length === 2 && isIsoTime(key[0]) && isUuid(key[1]);

/** The organization's members in the order they joined; null unless the viewer is a member. */
export const listMembers = async (
  db: Knex,
  organizationId: string,
  viewerId: string,
  request: PageRequest = {},
): Promise<Page<MemberView> | null> => {
  const { limit, after } = readPageRequest(request, 'members', memberKey);
  if ((await roleOf(db, organizationId, viewerId)) === null) return null;
  const rows = await db('memberships as m')
    .leftJoin('users as u', 'u.id', 'm.user_id')
    .select(
      'm.user_id',
      'u.username',
      'm.role',
      'm.joined_at',
      db.raw(`${timeText('m.joined_at')} AS joined_key`),
    )
    .where('m.organization_id', organizationId)
    .modify((q) =>
      after === null
        ? q
        : q.whereRaw('(m.joined_at, m.user_id) > (?::timestamptz, ?::uuid)', [after[0]!, after[1]!]),
    )
    .orderBy([{ column: 'm.joined_at' }, { column: 'm.user_id' }])
    .limit(limit + 1);
  return toPage(
    rows as {
      user_id: string;
      username: string | null;
      role: Role;
      joined_at: Date;
      joined_key: string;
    }[],
    limit,
    (r) => ({
      user: { id: r.user_id, username: r.username },
      role: r.role,
      joined_at: isoTime(r.joined_at),
    }),
    (r) => encodeCursor({ ordering: 'members', key: [r.joined_key, r.user_id] }),
  );
};

/** The user's memberships, in organization id order. */
export const listMemberships = membershipList({
  ordering: 'memberships',
  select: (q) => q.select('m.organization_id', 'm.role', 'm.joined_at'),
  view: (r: { organization_id: string; role: Role; joined_at: Date }): MembershipView => ({
    organization: r.organization_id,
    role: r.role,
    joined_at: isoTime(r.joined_at),
  }),
});

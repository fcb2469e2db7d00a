import type { Knex } from 'knex';
import { encodeCursor } from '../shared/cursor';
import { isUuid } from '../shared/ids';
import { type Page, type PageRequest, readPageRequest, toPage } from '../shared/page';

const organizationKey = (key: ReadonlyArray<unknown>) => key.length === 1 && isUuid(key[0]);

/** One list of a user's memberships: its cursors' name, what it selects from `memberships as m`, and its items. */
export interface MembershipList<Row, View> {
  ordering: string;
  select(query: Knex.QueryBuilder): Knex.QueryBuilder;
  view(row: Row): View;
}

/**
 * A list of a user's memberships, paged in organization id order (UUIDv7: oldest first); the cursor is the last
 * organization's id. A user id that is not a UUID has no memberships.
 */
export const membershipList =
  <Row extends { organization_id: string }, View>(list: MembershipList<Row, View>) =>
  async (db: Knex, userId: string, request: PageRequest = {}): Promise<Page<View>> => {
    const { limit, after } = readPageRequest(request, list.ordering, organizationKey);
    if (!isUuid(userId)) return { results: [], nextCursor: null };
    const rows: Row[] = await list
      .select(db('memberships as m'))
      .where('m.user_id', userId)
      .modify((q) => (after === null ? q : q.where('m.organization_id', '>', after[0]!)))
      .orderBy('m.organization_id')
      .limit(limit + 1);
    return toPage(rows, limit, list.view, (r) =>
      encodeCursor({ ordering: list.ordering, key: [r.organization_id] }),
    );
  };

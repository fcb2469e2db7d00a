import { ORGANIZATION_EVENT_TYPES } from '../../domain';
import type { Projection } from '../projection';
import { ofTypes, unique } from '../shared/events';
import { foldOrganizations } from './fold';
import { membershipMessages } from './membership-messages';
import { loadOrganizations, saveOrganizations } from './store';

/**
 * `organizations` (with `member_count`) and `memberships`, both from the organization streams. A membership
 * that ends is announced (after the commit) to the WebSocket servers, which close that member's sockets.
 */
export const organizationsProjection: Projection = {
  name: 'organizations',
  tables: ['organizations', 'memberships'],
  eventTypes: ORGANIZATION_EVENT_TYPES,
  async apply(events, ctx) {
    const applied = ofTypes(events, ORGANIZATION_EVENT_TYPES);
    if (applied.length === 0) return;
    const tables = { organizations: ctx.table('organizations'), memberships: ctx.table('memberships') };
    const ids = unique(applied.map(({ event }) => event.data.organizationId));
    const loaded = await loadOrganizations(ctx.trx, tables.organizations, ids);
    const batch = foldOrganizations(loaded, applied);
    await saveOrganizations(ctx.trx, tables, batch);
    for (const message of membershipMessages(applied, loaded, batch)) ctx.emit(message);
  },
};

import { ORGANIZATION_EVENT_TYPES } from '../../domain';
import type { Projection } from '../projection';
import { ofTypes, unique } from '../shared/events';
import { foldOrganizations } from './fold';
import { loadOrganizations, saveOrganizations } from './store';

/** `organizations` (with `member_count`) and `memberships`, both from the organization streams. */
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
    await saveOrganizations(ctx.trx, tables, foldOrganizations(loaded, applied));
  },
};

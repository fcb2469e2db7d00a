import { ofTypes } from '../../projections/shared/events';
import type { Reaction } from '../reactor/reaction';

export const MEMBER_REMOVALS_JOB = 'member-removals';

/**
 * Records each member's removal for the `member-removals` job (which releases their open assignments in that
 * organization) and wakes it in this process once the batch committed. One row per event: a replay adds nothing.
 */
export const memberRemovalsReaction: Reaction = {
  name: 'member-removals',
  tables: ['member_removals'],
  eventTypes: ['MemberRemoved'],
  async apply(events, ctx) {
    const removals = ofTypes(events, ['MemberRemoved']).filter(({ recorded }) => ctx.acts(recorded));
    if (removals.length === 0) return;
    await ctx
      .trx('member_removals')
      .insert(
        removals.map(({ event, recorded }) => ({
          event_id: recorded.eventId,
          organization_id: event.data.organizationId,
          user_id: event.data.userId,
          // The organization's authority acts through whoever removed them (the member themself, when they left).
          actor_id: recorded.metadata.actorId ?? event.data.userId,
          position: recorded.position,
          removed_at: recorded.metadata.occurredAt,
        })),
      )
      .onConflict('event_id')
      .ignore();
    ctx.wake(MEMBER_REMOVALS_JOB, removals[removals.length - 1]!.recorded.position);
  },
};

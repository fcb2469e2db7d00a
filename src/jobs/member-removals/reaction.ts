import type { RecordedEvent } from '../../eventstore/port';
import { ofTypes } from '../../projections/shared/events';
import type { Reaction, ReactionContext } from '../reactor/reaction';

export const MEMBER_REMOVALS_JOB = 'member-removals';

/** What gives an issue an assignee. */
const ASSIGNING = ['IssueCreated', 'IssueAssigned', 'IssueRestored'] as const;

interface RemovalRow {
  event_id: string;
  organization_id: string;
  user_id: string;
  actor_id: string;
  position: string;
  removed_at: string;
}

/**
 * Assignments to someone whom the log removed from the organization before them: a command that read the member
 * list just before a removal appends just after it (or a deleted issue of theirs is restored). Each is recorded as
 * work for the job like a removal of its own (on behalf of whoever removed them), so once the read models include
 * it the job releases what the former member holds, unless they are a member again by then.
 */
const lateAssignments = async (
  events: readonly RecordedEvent[],
  ctx: ReactionContext,
): Promise<RemovalRow[]> => {
  const assigned = ofTypes(events, ASSIGNING)
    .filter(({ recorded }) => ctx.acts(recorded))
    .map(({ event, recorded }) => ({
      organizationId: event.data.organizationId,
      assigneeId: event.data.assigneeId,
      recorded,
    }))
    .filter((a): a is typeof a & { assigneeId: string } => typeof a.assigneeId === 'string');
  if (assigned.length === 0) return [];
  const removals = (await ctx
    .trx('member_removals')
    .select('organization_id', 'user_id', 'actor_id', 'position')
    .whereIn(
      ['organization_id', 'user_id'],
      assigned.map((a) => [a.organizationId, a.assigneeId]),
    )) as Pick<RemovalRow, 'organization_id' | 'user_id' | 'actor_id' | 'position'>[];
  return assigned.flatMap(({ organizationId, assigneeId, recorded }) => {
    const removal = removals
      .filter(
        (r) =>
          r.organization_id === organizationId && r.user_id === assigneeId && r.position < recorded.position,
      )
      .sort((a, b) => (a.position < b.position ? -1 : 1))
      .at(-1);
    return removal
      ? [
          {
            event_id: recorded.eventId,
            organization_id: organizationId,
            user_id: assigneeId,
            actor_id: removal.actor_id,
            position: recorded.position,
            removed_at: recorded.metadata.occurredAt,
          },
        ]
      : [];
  });
};

/**
 * Records each member's removal for the `member-removals` job (which releases their open assignments in that
 * organization) and wakes it in this process once the batch committed. One row per event: a replay adds nothing.
 */
export const memberRemovalsReaction: Reaction = {
  name: 'member-removals',
  tables: ['member_removals'],
  reads: [],
  eventTypes: ['MemberRemoved', ...ASSIGNING],
  async apply(events, ctx) {
    const removals = ofTypes(events, ['MemberRemoved'])
      .filter(({ recorded }) => ctx.acts(recorded))
      .map(
        ({ event, recorded }): RemovalRow => ({
          event_id: recorded.eventId,
          organization_id: event.data.organizationId,
          user_id: event.data.userId,
          // The organization's authority acts through whoever removed them (the member themself, when they left).
          actor_id: recorded.metadata.actorId ?? event.data.userId,
          position: recorded.position,
          removed_at: recorded.metadata.occurredAt,
        }),
      );
    if (removals.length > 0)
      await ctx.trx('member_removals').insert(removals).onConflict('event_id').ignore();
    // After the batch's removals are in: an assignment later in the same batch may follow one of them.
    const late = await lateAssignments(events, ctx);
    if (late.length > 0) await ctx.trx('member_removals').insert(late).onConflict('event_id').ignore();
    const last = [...removals, ...late].sort((a, b) => (a.position < b.position ? -1 : 1)).at(-1);
    if (last) ctx.wake(MEMBER_REMOVALS_JOB, last.position);
  },
};

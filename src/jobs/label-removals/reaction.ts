import type { IssueCreated, IssueLabelsChanged, IssueRestored } from '../../domain';
import { SYSTEM_ADMIN_ID } from '../../domain';
import type { RecordedEvent } from '../../eventstore/port';
import { ofTypes } from '../../projections/shared/events';
import type { Reaction, ReactionContext } from '../reactor/reaction';

export const LABEL_REMOVALS_JOB = 'label-removals';

/** What puts labels on an issue. */
const LABELLING = ['IssueCreated', 'IssueLabelsChanged', 'IssueRestored'] as const;

interface RemovalRow {
  event_id: string;
  label_id: string;
  organization_id: string;
  actor_id: string;
  position: string;
  removed_at: string;
}

/** The labels an event put on its issue that it did not have before. */
const added = (event: IssueCreated | IssueLabelsChanged | IssueRestored): readonly string[] =>
  event.type === 'IssueLabelsChanged'
    ? event.data.labelIds.filter((id) => !event.data.previousLabelIds.includes(id))
    : event.data.labelIds;

/**
 * Labels put on issues after their deletion was recorded (decided on the labels as they were just before it).
 * Each is work of its own, on behalf of whoever deleted the label, so the job takes it off again.
 */
const lateLabels = async (events: readonly RecordedEvent[], ctx: ReactionContext): Promise<RemovalRow[]> => {
  const labelled = ofTypes(events, LABELLING)
    .filter(({ recorded }) => ctx.acts(recorded))
    .flatMap(({ event, recorded }) =>
      added(event).map((labelId) => ({ labelId, organizationId: event.data.organizationId, recorded })),
    );
  if (labelled.length === 0) return [];
  const deletions = (await ctx
    .trx('label_removals')
    .select('label_id', 'actor_id', 'position')
    .whereIn(
      'label_id',
      labelled.map((l) => l.labelId),
    )) as Pick<RemovalRow, 'label_id' | 'actor_id' | 'position'>[];
  return labelled.flatMap(({ labelId, organizationId, recorded }) => {
    const deletion = deletions
      .filter((d) => d.label_id === labelId && d.position < recorded.position)
      .sort((a, b) => (a.position < b.position ? -1 : 1))[0];
    return deletion
      ? [
          {
            event_id: recorded.eventId,
            label_id: labelId,
            organization_id: organizationId,
            actor_id: deletion.actor_id,
            position: recorded.position,
            removed_at: recorded.metadata.occurredAt,
          },
        ]
      : [];
  });
};

/**
 * The label-removal process's reaction: records each `LabelDeleted` (and each late labelling) for the
 * `label-removals` job, which takes the label off every issue that carries it, and wakes it in this process once
 * the batch committed. One row per event and label: a replay adds nothing.
 */
export const labelRemovalsReaction: Reaction = {
  name: 'label-removals',
  tables: ['label_removals'],
  reads: [],
  eventTypes: ['LabelDeleted', ...LABELLING],
  async apply(events, ctx) {
    const deletions = ofTypes(events, ['LabelDeleted'])
      .filter(({ recorded }) => ctx.acts(recorded))
      .map(
        ({ event, recorded }): RemovalRow => ({
          event_id: recorded.eventId,
          label_id: event.data.labelId,
          organization_id: event.data.organizationId,
          // Deletions are decided on someone's behalf; the system's id stands in should one have none.
          actor_id: recorded.metadata.actorId ?? SYSTEM_ADMIN_ID,
          position: recorded.position,
          removed_at: recorded.metadata.occurredAt,
        }),
      );
    if (deletions.length > 0)
      await ctx.trx('label_removals').insert(deletions).onConflict(['event_id', 'label_id']).ignore();
    // After the batch's deletions are in: a labelling later in the same batch may follow one of them.
    const late = await lateLabels(events, ctx);
    if (late.length > 0)
      await ctx.trx('label_removals').insert(late).onConflict(['event_id', 'label_id']).ignore();
    const last = [...deletions, ...late].sort((a, b) => (a.position < b.position ? -1 : 1)).at(-1);
    if (last) ctx.wake(LABEL_REMOVALS_JOB, last.position);
  },
};

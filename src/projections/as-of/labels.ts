import type { LabelCreated, LabelDeleted, LabelUpdated } from '../../domain';
import { LABEL_EVENT_TYPES, organizationStream } from '../../domain';
import type { Position, RecordedEvent, StreamReader } from '../../eventstore/port';
import type { LabelRef } from '../labels/record';
import type { LabelLookup } from '../issues/view';
import { type AsOf, happenedBy } from './point';

type LabelEvent = LabelCreated | LabelUpdated | LabelDeleted;
type Known = LabelRef & { deleted: boolean };

const step = (labels: Map<string, Known>, event: LabelEvent): void => {
  const { labelId } = event.data;
  const before = labels.get(labelId);
  if (event.type === 'LabelCreated') {
    const { name, color } = event.data;
    labels.set(labelId, { id: labelId, name, color, deleted: false });
  } else if (before === undefined) {
    return;
  } else if (event.type === 'LabelUpdated') {
    const { name, color } = event.data.changes;
    labels.set(labelId, { ...before, name: name?.to ?? before.name, color: color?.to ?? before.color });
  } else {
    labels.set(labelId, { ...before, deleted: true });
  }
};

/**
 * An organization's labels through time, from its stream (not a read model): `at(point)` answers them as they were
 * then, deleted ones marked (and named as they were last), for `as_of` and history. Points must be asked in
 * increasing order: the fold only moves forwards.
 */
export interface LabelTimeline {
  at(point: AsOf): LabelLookup;
}

export const labelTimeline = async (
  streams: StreamReader,
  organizationId: string,
): Promise<LabelTimeline> => {
  const events = (await streams.readStream(organizationStream(organizationId))).filter((r) =>
    (LABEL_EVENT_TYPES as readonly string[]).includes(r.type),
  );
  const labels = new Map<string, Known>();
  let next = 0;
  return {
    at(point) {
      for (; next < events.length && happenedBy(point, events[next]!); next++) {
        const r: RecordedEvent = events[next]!;
        step(labels, { type: r.type, data: r.data } as LabelEvent);
      }
      return new Map(labels);
    },
  };
};

/** The point right at an event: everything up to and including its position. */
export const atPosition = (position: Position): AsOf => ({ position });

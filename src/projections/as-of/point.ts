import { ValidationError } from '../../domain';
import type { RecordedEvent } from '../../eventstore/port';
import { isPosition } from '../../eventstore/port';
import { isIsoTime } from '../shared/values';

/** `?as_of=`: a position of the log, or an ISO 8601 time (a date alone means its midnight UTC). */
export type AsOf = { position: string } | { time: number };

export const parseAsOf = (value: string): AsOf => {
  if (isPosition(value)) return { position: value };
  const time = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  if (isIsoTime(time)) return { time: Date.parse(time) };
  throw ValidationError.field('as_of', 'must be an ISO 8601 time or a position');
};

/** Whether the event had happened at the point. */
export const happenedBy = (point: AsOf, recorded: RecordedEvent): boolean =>
  'position' in point
    ? recorded.position <= point.position
    : Date.parse(recorded.metadata.occurredAt) <= point.time;

/** A stream's events up to the point: the stream's own order is the truth, so it stops at the first one past it. */
export const upTo = <T extends { recorded: RecordedEvent }>(point: AsOf, events: readonly T[]): T[] => {
  const end = events.findIndex((e) => !happenedBy(point, e.recorded));
  return end === -1 ? [...events] : events.slice(0, end);
};

export const asPoint = (asOf: string | AsOf): AsOf => (typeof asOf === 'string' ? parseAsOf(asOf) : asOf);

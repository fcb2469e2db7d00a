import type { DomainEvent } from '../../domain';
import type { RecordedEvent } from '../../eventstore/port';

/** A recorded event with its payload typed as the domain event its type names (the runner filters by type). */
export interface Applied<E extends DomainEvent = DomainEvent> {
  event: E;
  recorded: RecordedEvent;
}

export const applied = (recorded: RecordedEvent): Applied =>
  ({ event: { type: recorded.type, data: recorded.data } as DomainEvent, recorded }) as Applied;

/** Events of one type family, e.g. `ofTypes(events, ['IssueCreated', …])`. */
export const ofTypes = <T extends DomainEvent['type']>(
  events: readonly RecordedEvent[],
  types: readonly T[],
): Applied<Extract<DomainEvent, { type: T }>>[] =>
  events
    .filter((e) => (types as readonly string[]).includes(e.type))
    .map((e) => applied(e) as Applied<Extract<DomainEvent, { type: T }>>);

export const unique = <T>(values: Iterable<T>): T[] => [...new Set(values)];

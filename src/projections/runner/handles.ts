import type { Projection } from '../projection';

const sets = new WeakMap<Projection, ReadonlySet<string>>();

/** Whether the projection handles an event type (a Set per projection, built once). */
export const handles = (projection: Projection, type: string): boolean => {
  let set = sets.get(projection);
  if (!set) {
    set = new Set(projection.eventTypes);
    sets.set(projection, set);
  }
  return set.has(type);
};

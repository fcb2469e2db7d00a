import type { RecordedEvent } from './port';

/** Turns a stored payload of an older schema version into the next version. */
export interface UpcasterStep {
  type: string;
  fromSchemaVersion: number;
  upcast(data: unknown): { type: string; data: unknown };
}

export type Upcast = (event: RecordedEvent) => RecordedEvent;

export const noUpcast: Upcast = (event) => event;

/**
 * Applies steps until no step matches the event's (type, schemaVersion), raising the version by one per step.
 * Runs on read, so stored events are never rewritten.
 */
export const upcasterChain = (steps: readonly UpcasterStep[]): Upcast => {
  if (steps.length === 0) return noUpcast;
  const byKey = new Map(steps.map((s) => [`${s.type}@${s.fromSchemaVersion}`, s]));
  return (event) => {
    let current = event;
    for (let step = byKey.get(`${current.type}@${current.metadata.schemaVersion}`); step; ) {
      const next = step.upcast(current.data);
      current = {
        ...current,
        type: next.type,
        data: next.data,
        metadata: { ...current.metadata, schemaVersion: current.metadata.schemaVersion + 1 },
      };
      step = byKey.get(`${current.type}@${current.metadata.schemaVersion}`);
    }
    return current;
  };
};

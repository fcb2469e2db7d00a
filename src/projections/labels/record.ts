import type { LabelCreated, LabelDeleted, LabelUpdated } from '../../domain';
import type { Applied } from '../shared/events';
import { isoTime } from '../shared/sql';

/** A label as the read model keeps it; deleted ones stay (marked), so messages about issues can still name them. */
export interface LabelRecord {
  id: string;
  organizationId: string;
  name: string;
  color: string;
  createdAt: string;
  updatedAt: string;
  deleted: boolean;
  /** The organization stream's revision of its last event: a replayed event changes nothing (rows stay forever). */
  revision: number;
}

/** `{ id, name, color }`: a label as issues and lists show it. */
export interface LabelRef {
  id: string;
  name: string;
  color: string;
}

export type LabelEvent = LabelCreated | LabelUpdated | LabelDeleted;

/** The label after one of its events; undefined for a change of a label never created. */
export const evolveLabel = (
  label: LabelRecord | undefined,
  { event, recorded }: { event: LabelEvent; recorded: Applied['recorded'] },
): LabelRecord | undefined => {
  const at = isoTime(recorded.metadata.occurredAt);
  const { revision } = recorded;
  switch (event.type) {
    case 'LabelCreated': {
      const { labelId, organizationId, name, color } = event.data;
      return {
        id: labelId,
        organizationId,
        name,
        color,
        createdAt: at,
        updatedAt: at,
        deleted: false,
        revision,
      };
    }
    case 'LabelUpdated': {
      if (label === undefined) return undefined;
      const { name, color } = event.data.changes;
      return {
        ...label,
        name: name?.to ?? label.name,
        color: color?.to ?? label.color,
        updatedAt: at,
        revision,
      };
    }
    case 'LabelDeleted':
      return label === undefined ? undefined : { ...label, deleted: true, updatedAt: at, revision };
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
};

export const labelRef = ({ id, name, color }: LabelRecord | LabelRef): LabelRef => ({ id, name, color });

/** Labels in the order every answer shows them: by name without regard to case (byte order), then id. */
export const byName = (a: LabelRef, b: LabelRef): number => {
  const [x, y] = [a.name.toLowerCase(), b.name.toLowerCase()];
  if (x !== y) return Buffer.compare(Buffer.from(x), Buffer.from(y));
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
};

/**
 * The labels an issue shows: those of its ids that are labels not deleted, by name. `labels` may hold any of them
 * (deleted ones too).
 */
export const shownLabels = (
  ids: readonly string[],
  labels: ReadonlyMap<string, LabelRecord | (LabelRef & { deleted: boolean })>,
): LabelRef[] =>
  ids
    .map((id) => labels.get(id))
    .filter((l): l is NonNullable<typeof l> => l !== undefined && !l.deleted)
    .map(labelRef)
    .sort(byName);

/** The refs of a set of label ids for `changes`: every id named, deleted labels included, by name. */
export const namedLabels = (
  ids: readonly string[],
  labels: ReadonlyMap<string, LabelRecord | (LabelRef & { deleted: boolean })>,
): LabelRef[] =>
  ids
    .map((id) => {
      const label = labels.get(id);
      return label === undefined ? { id, name: '', color: '' } : labelRef(label);
    })
    .sort(byName);

import type { Checked } from '../shared/validation';
import { accept, refuse, trimmedText } from '../shared/validation';

export const LABEL_NAME_MAX = 50;

/** A label as the organization knows it. */
export interface Label {
  labelId: string;
  name: string;
  /** `#rrggbb`, lower case. */
  color: string;
}

export const labelNameCheck = trimmedText(LABEL_NAME_MAX);

const COLOR = /^#[0-9a-fA-F]{6}$/;

/** `#rrggbb` (either case; kept in lower case). */
export const labelColorCheck = (value: unknown): Checked<string> =>
  typeof value === 'string' && COLOR.test(value)
    ? accept(value.toLowerCase())
    : refuse('must be a colour written #rrggbb');

/** Names are unique in an organization without regard to case. */
export const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The label of this name other than `except`, if any. */
export const labelNamed = (
  labels: ReadonlyMap<string, Label>,
  name: string,
  except?: string,
): Label | undefined => [...labels.values()].find((l) => l.labelId !== except && sameName(l.name, name));
